import Foundation

/// Writes a safetensors file in one pass without holding its tensors: the header (every tensor's dtype,
/// shape and byte span, which the caller declares up front), then each tensor's bytes in the declared
/// order, as the caller produces them. Layout: an 8-byte little-endian header length, the JSON header
/// padded with spaces to a multiple of 8 bytes, then the data, tensors back to back.
struct SafetensorsWriter {
    struct Entry: Sendable, Equatable {
        var name: String
        /// safetensors dtype name (`F32`, `F16`, `BF16`, `I8`, `U8`, …).
        var dtype: String
        var shape: [Int]
        var bytes: Int
    }

    private let handle: FileHandle
    private let path: String
    private let entries: [Entry]
    private var next = 0
    private var written = 0

    /// Creates `path` and writes the header for `entries` (in data order) and `metadata`.
    init(path: String, entries: [Entry], metadata: [(String, String)]) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw LatheError.badInput(file: path, "cannot create the file")
        }
        self.handle = handle
        self.path = path
        self.entries = entries
        var members: [(String, JSONValue)] = []
        if !metadata.isEmpty { members.append(("__metadata__", .object(metadata.map { ($0.0, .string($0.1)) }))) }
        var offset = 0
        for entry in entries {
            members.append((entry.name, .object([
                ("dtype", .string(entry.dtype)), ("shape", .array(entry.shape.map { .int($0) })),
                ("data_offsets", .array([.int(offset), .int(offset + entry.bytes)])),
            ])))
            offset += entry.bytes
        }
        var header = Array(JSONValue.object(members).rendered(.file).utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var length = UInt64(header.count).littleEndian
        try write(Data(bytes: &length, count: 8))
        try write(Data(header))
    }

    /// Appends the next tensor's bytes (several calls may make up one tensor); `finishTensor` checks that
    /// the declared count was written.
    mutating func append(_ data: Data) throws {
        guard next < entries.count else { throw LatheError.internalFailure("\(path): more tensors than declared") }
        written += data.count
        guard written <= entries[next].bytes else {
            throw LatheError.internalFailure("\(path): \(entries[next].name) is longer than its declared \(entries[next].bytes) bytes")
        }
        try write(data)
    }

    mutating func finishTensor() throws {
        guard next < entries.count, written == entries[next].bytes else {
            throw LatheError.internalFailure("\(path): tensor \(next) has \(written) bytes, not as declared")
        }
        next += 1
        written = 0
    }

    func close() throws {
        guard next == entries.count else {
            throw LatheError.internalFailure("\(path): \(next) of \(entries.count) tensors written")
        }
        try handle.synchronize()
        try handle.close()
    }

    private func write(_ data: Data) throws {
        do { try handle.write(contentsOf: data) } catch {
            throw LatheError.badInput(file: path, "cannot write: \(error.localizedDescription)")
        }
    }
}
