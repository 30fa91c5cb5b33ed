/// Float32 elements stored little-endian (as numpy writes `<f4`) at a byte offset of an open input
/// file, read when they are needed: a dataset's float32 arrays stay in the file and each batch
/// reads its samples straight into its input tensor. Decoding a whole set at load copied it once
/// more into freshly allocated pages, which on a virtual machine cost 0.1 to 0.4 s for 64 images of
/// 416×416 (133 MB), as much as a third of evaluating them.
struct FileFloats: Sendable {
    let file: InputFile
    /// Byte offset of element 0.
    let offset: Int
    /// Elements.
    let count: Int

    /// Nil when the file is shorter than the elements (the caller reports it as truncated).
    init?(file: InputFile, offset: Int, count: Int) {
        guard offset >= 0, count >= 0, offset + count * MemoryLayout<Float>.size <= file.size else { return nil }
        self.file = file
        self.offset = offset
        self.count = count
    }

    /// Elements `range` into `destination`.
    func read(_ range: Range<Int>, into destination: UnsafeMutablePointer<Float>) throws {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "elements \(range) of \(count)")
        let width = MemoryLayout<Float>.size
        try file.read(into: UnsafeMutableRawPointer(destination), count: range.count * width,
                      at: offset + range.lowerBound * width)
        #if _endian(big)
        for i in 0..<range.count { destination[i] = Float(bitPattern: UInt32(littleEndian: destination[i].bitPattern)) }
        #endif
    }

    /// Every element.
    func all() throws -> [Float] {
        try uninitializedFloats(count) { buffer in
            guard let base = buffer.baseAddress else { return }
            try read(0..<count, into: base)
        }
    }
}
