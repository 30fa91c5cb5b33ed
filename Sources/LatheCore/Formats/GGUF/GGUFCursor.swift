/// Reads GGUF's little-endian fields from the mapped file, checking every length
/// against the bytes that remain, so a corrupt count becomes an error, never a
/// read past the end or a giant allocation.
struct GGUFCursor {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - offset }

    func bad(_ problem: String) -> LatheError { .badInput(file: path, "not a valid GGUF file: \(problem)") }

    mutating func skip(_ count: Int, _ what: String) throws {
        guard count >= 0, count <= remaining else {
            throw bad("\(what) needs \(count) bytes at offset \(offset), only \(remaining) remain (truncated?)")
        }
        offset += count
    }

    mutating func load<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else {
            throw bad("\(what) at offset \(offset) runs past the end of the file (truncated?)")
        }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return value
    }

    /// A count or length stored as u64 that must fit in what remains, `unit` bytes per item at least.
    mutating func count(_ what: String, unit: Int) throws -> Int {
        let raw = try load(UInt64.self, what)
        guard raw <= UInt64(remaining / max(1, unit)) else {
            throw bad("\(what) \(raw) cannot fit in the \(remaining) bytes that remain")
        }
        return Int(raw)
    }

    mutating func string(_ what: String) throws -> String {
        let length = try count("\(what) length", unit: 1)
        let start = offset
        offset += length
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)]), as: UTF8.self)
    }
}
