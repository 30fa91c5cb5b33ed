import Foundation

/// A dataset array's elements kept as the file stores them, little-endian float32 or uint8, and
/// decoded a batch at a time: left in the file and read with `pread` (an `.npy` file, a stored
/// `.npz` member), or in memory as inflated (a deflated member). Decoding a whole set at load copied
/// it into freshly allocated pages, 8 bytes an element for integers: 64 uint8 images of 3×512×512
/// became 400 MB, and 64 float32 ones of 416×416 133 MB, which on a virtual machine cost 0.1 to
/// 0.4 s of page faults, as much as a third of evaluating them.
struct RawElements: Sendable {
    enum Place: Sendable {
        /// At this byte offset of the file.
        case file(InputFile, offset: Int)
        /// These bytes (a slice of an inflated member).
        case memory(Data)
    }

    let place: Place
    /// `.float32` or `.uint8`.
    let dtype: DType
    let count: Int

    /// The dtypes kept raw.
    static func keeps(_ dtype: DType) -> Bool { dtype == .float32 || dtype == .uint8 }

    /// Nil for another dtype, or when the place holds fewer bytes than the elements.
    init?(_ place: Place, dtype: DType, count: Int) {
        guard Self.keeps(dtype), count >= 0 else { return nil }
        let bytes = count * dtype.byteSize
        switch place {
        case .file(let file, let offset): guard offset >= 0, offset + bytes <= file.size else { return nil }
        case .memory(let data): guard data.count >= bytes else { return nil }
        }
        self.place = place
        self.dtype = dtype
        self.count = count
    }

    var isInFile: Bool {
        if case .file = place { return true }
        return false
    }

    /// Elements `range` as Float (uint8 values converted exactly) into `destination`.
    /// - Throws: `badInput` naming the file when it no longer holds them.
    func read(_ range: Range<Int>, into destination: UnsafeMutablePointer<Float>) throws {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "elements \(range) of \(count)")
        let width = dtype.byteSize
        switch (place, dtype) {
        case (.file(let file, let offset), .float32):
            try file.read(into: UnsafeMutableRawPointer(destination), count: range.count * width,
                          at: offset + range.lowerBound * width)
            Self.fromLittleEndian(destination, range.count)
        case (.file(let file, let offset), _):
            var bytes = [UInt8](repeating: 0, count: range.count)
            try bytes.withUnsafeMutableBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                try file.read(into: base, count: range.count, at: offset + range.lowerBound)
            }
            bytes.withUnsafeBufferPointer { Self.widen($0, into: destination) }
        case (.memory(let data), .float32):
            data.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                UnsafeMutableRawPointer(destination).copyMemory(from: base + range.lowerBound * width,
                                                                byteCount: range.count * width)
            }
            Self.fromLittleEndian(destination, range.count)
        case (.memory(let data), _):
            data.withUnsafeBytes { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                Self.widen(UnsafeBufferPointer(rebasing: bytes[range]), into: destination)
            }
        }
    }

    /// Every element decoded: floats for float32, integers for uint8 (as `ElementCodec` decodes them).
    func tensor(shape: [Int]) throws -> Tensor {
        let floats = try uninitializedFloats(count) { buffer in
            guard let base = buffer.baseAddress else { return }
            try read(0..<count, into: base)
        }
        return dtype == .float32 ? Tensor(shape: shape, floats: floats)
            : Tensor(shape: shape, ints: floats.map { Int64($0) }, dtype: dtype)
    }

    private static func widen(_ bytes: UnsafeBufferPointer<UInt8>, into destination: UnsafeMutablePointer<Float>) {
        for i in 0..<bytes.count { destination[i] = Float(bytes[i]) }
    }

    private static func fromLittleEndian(_ values: UnsafeMutablePointer<Float>, _ count: Int) {
        #if _endian(big)
        for i in 0..<count { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
        #endif
    }
}
