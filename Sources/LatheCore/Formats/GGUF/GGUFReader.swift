/// Reads a GGUF file (llama.cpp's format, versions 2 and 3): the header (magic `GGUF`,
/// version, tensor and metadata counts), the metadata key–values, the tensor infos (name,
/// dims innermost first, ggml type, offset), and the data section that starts at the next
/// multiple of `general.alignment` (default 32). Every count and offset is checked against the
/// file before use. Shapes are returned outermost first (`[ne1, ne0]`: one row per output).
public enum GGUFReader {
    public static let defaultAlignment = 32
    static let maxDims = 8

    public struct Contents: Sendable {
        public var version: Int
        public var metadata: [(key: String, value: GGUFValue)]
        public var alignment: Int
        public var tensors: [CheckpointTensor]
    }

    public static func read(path: String) throws -> Contents {
        try read(try MappedFile(path: path))
    }

    static func read(_ file: MappedFile) throws -> Contents {
        var cursor = GGUFCursor(file.bytes(0..<file.size), path: file.path)
        let magic = try cursor.load(UInt32.self, "magic")
        guard magic == 0x4655_4747 else { throw cursor.bad("it does not start with the magic 'GGUF'") }
        let version = try cursor.load(UInt32.self, "version")
        guard version == 2 || version == 3 else {
            if version.byteSwapped == 2 || version.byteSwapped == 3 {
                throw cursor.bad("big-endian GGUF files are not supported")
            }
            throw cursor.bad("version \(version); Lathe reads GGUF versions 2 and 3")
        }
        // Each tensor info is at least a name length, a dim count, a type and an offset;
        // each key–value a key length, a type and one byte.
        let tensorCount = try cursor.count("tensor count", unit: 24)
        let kvCount = try cursor.count("metadata count", unit: 13)
        var metadata: [(key: String, value: GGUFValue)] = []
        var alignment = defaultAlignment
        for _ in 0..<kvCount {
            let key = try cursor.string("metadata key")
            let type = try cursor.load(UInt32.self, "metadata '\(key)' type")
            let value = try GGUFMetadata.value(&cursor, type: type, key: key)
            if key == "general.alignment" {
                guard case .unsigned(let a) = value, type == 4, a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
                    throw cursor.bad("general.alignment must be a u32 power of two, got \(value.description)")
                }
                alignment = Int(a)
            }
            metadata.append((key, value))
        }
        struct Info { var name: String; var dims: [Int]; var type: GGMLType; var offset: Int }
        var infos: [Info] = []
        for _ in 0..<tensorCount {
            let name = try cursor.string("tensor name")
            let rank = try cursor.load(UInt32.self, "tensor '\(name)' dim count")
            guard rank <= maxDims else { throw cursor.bad("tensor '\(name)' has \(rank) dims (at most \(maxDims))") }
            var dims: [Int] = []
            for _ in 0..<rank {
                let dim = try cursor.load(UInt64.self, "tensor '\(name)' dims")
                guard dim <= UInt64(Int.max) else { throw cursor.bad("tensor '\(name)' has a dim of \(dim)") }
                dims.append(Int(dim))
            }
            let typeID = try cursor.load(UInt32.self, "tensor '\(name)' type")
            guard let type = GGMLType.known(id: typeID) else {
                throw cursor.bad("tensor '\(name)' has unknown ggml type \(typeID)")
            }
            let offset = try cursor.load(UInt64.self, "tensor '\(name)' offset")
            guard offset <= UInt64(Int.max) else { throw cursor.bad("tensor '\(name)' has offset \(offset)") }
            infos.append(Info(name: name, dims: dims, type: type, offset: Int(offset)))
        }
        let dataStart = (cursor.offset + alignment - 1) / alignment * alignment
        guard dataStart <= file.size else { throw cursor.bad("the data section starts past the end of the file (truncated?)") }
        var tensors: [CheckpointTensor] = []
        for info in infos {
            guard let count = ElementCount.of(info.dims) else {
                throw cursor.bad("tensor '\(info.name)' dims \(info.dims) overflow")
            }
            let rowLength = info.dims.first ?? 1
            guard rowLength % info.type.blockElements == 0 else {
                throw cursor.bad("tensor '\(info.name)' rows of \(rowLength) are not whole \(info.type.name) blocks of \(info.type.blockElements)")
            }
            guard info.offset % alignment == 0 else {
                throw cursor.bad("tensor '\(info.name)' offset \(info.offset) is not a multiple of the alignment \(alignment)")
            }
            let (bytes, overflow) = (count / info.type.blockElements).multipliedReportingOverflow(by: info.type.blockBytes)
            let (start, late) = dataStart.addingReportingOverflow(info.offset)
            guard !overflow, !late, start <= file.size, bytes <= file.size - start else {
                throw cursor.bad("tensor '\(info.name)' (\(info.type.name) \(Array(info.dims.reversed()))) runs past the end of the file (truncated?)")
            }
            tensors.append(CheckpointTensor(name: info.name, shape: info.dims.reversed(), encoding: info.type.encoding,
                                            file: file, byteRange: start..<(start + bytes)))
        }
        let ordered = tensors.sorted { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw cursor.bad("tensors '\(previous.name)' and '\(next.name)' overlap in the data section")
        }
        var names = Set<String>()
        for tensor in tensors where !names.insert(tensor.name).inserted {
            throw cursor.bad("tensor name '\(tensor.name)' appears twice")
        }
        return Contents(version: Int(version), metadata: metadata, alignment: alignment, tensors: tensors)
    }
}
