import Foundation

/// A weights-only checkpoint: safetensors (one file, or shards behind
/// `model.safetensors.index.json`) or GGUF. Opening maps the files and validates
/// their headers; no tensor data is read until it is analysed.
public struct WeightCheckpoint: Sendable {
    public enum Format: String, Sendable {
        case safetensors, safetensorsIndex = "safetensors-index", gguf

        public var displayName: String {
            switch self {
            case .safetensors: return "safetensors"
            case .safetensorsIndex: return "sharded safetensors"
            case .gguf: return "GGUF"
            }
        }
    }

    public var path: String
    public var format: Format
    /// In file order (shards in name order).
    public var tensors: [CheckpointTensor]
    /// GGUF's metadata (scalars and strings; arrays as their type and count); empty for safetensors.
    public var metadata: [(key: String, value: GGUFValue)]

    public init(path: String, format: Format, tensors: [CheckpointTensor], metadata: [(key: String, value: GGUFValue)] = []) {
        self.path = path
        self.format = format
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The checkpoint format of `path`, by its magic number first, then its name; nil for other files (ONNX).
    public static func format(of path: String) -> Format? {
        let lower = path.lowercased()
        if lower.hasSuffix(".safetensors.index.json") { return .safetensorsIndex }
        let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)))
            .flatMap { handle -> Data? in
                defer { try? handle.close() }
                return try? handle.read(upToCount: 9)
            } ?? Data()
        if head.count >= 4, head.prefix(4) == Data("GGUF".utf8) { return .gguf }
        if lower.hasSuffix(".gguf") { return .gguf }
        if lower.hasSuffix(".safetensors") { return .safetensors }
        // An unnamed safetensors file: a small little-endian header size followed by '{'.
        if head.count == 9, head[head.startIndex + 8] == UInt8(ascii: "{"),
           head[head.startIndex + 6] == 0, head[head.startIndex + 7] == 0 {
            return .safetensors
        }
        return nil
    }

    /// Opens `path` as the checkpoint format it is (`format(of:)`); bad input names the file.
    public static func open(path: String) throws -> WeightCheckpoint {
        guard let format = format(of: path) else {
            throw LatheError.badInput(file: path, "is neither a safetensors nor a GGUF file")
        }
        switch format {
        case .safetensors:
            return WeightCheckpoint(path: path, format: format, tensors: try SafetensorsReader.read(path: path))
        case .safetensorsIndex:
            return WeightCheckpoint(path: path, format: format, tensors: try SafetensorsIndex.read(path: path))
        case .gguf:
            let contents = try GGUFReader.read(path: path)
            return WeightCheckpoint(path: path, format: format, tensors: contents.tensors, metadata: contents.metadata)
        }
    }

    /// The tensors Lathe treats as layers (float, rank ≥ 2), in file order.
    public var layerTensors: [CheckpointTensor] { tensors.filter(\.isLayer) }

    /// Bytes of every tensor's data as stored.
    public var storedBytes: Int { tensors.reduce(0) { $0 + $1.bytes } }
}
