import Foundation

/// A sharded safetensors checkpoint: `model.safetensors.index.json` maps each tensor
/// (`weight_map`) to a shard file in the same folder. Every shard is read and validated;
/// every mapped tensor must be found in the shard the index names.
public enum SafetensorsIndex {
    public static let maxIndexBytes = 100 << 20

    public static func read(path: String) throws -> [CheckpointTensor] {
        func bad(_ problem: String) -> LatheError { .badInput(file: path, "not a valid safetensors index: \(problem)") }
        let index = try MappedFile(path: path)
        guard index.size <= maxIndexBytes else { throw bad("\(index.size) bytes, more than an index can need") }
        let document: JSONDocument
        do {
            document = try JSONDocument.parse([UInt8](index.bytes(0..<index.size)))
        } catch let error as JSONDocument.SyntaxError {
            throw bad("\(error.problem) at byte \(error.offset)")
        }
        guard let weightMap = document.object?["weight_map"]?.object else { throw bad("no \"weight_map\" object") }
        var shardOf: [String: String] = [:]
        for (tensor, value) in weightMap {
            guard let shard = value.string else { throw bad("weight_map entry '\(tensor)' is not a file name") }
            guard !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw bad("weight_map entry '\(tensor)' names '\(shard)', not a file in the index's folder")
            }
            shardOf[tensor] = shard
        }
        guard !shardOf.isEmpty else { throw bad("weight_map is empty") }
        let folder = (path as NSString).deletingLastPathComponent
        var tensors: [CheckpointTensor] = []
        var seen: [String: String] = [:]
        for shard in Set(shardOf.values).sorted() {
            let shardPath = folder.isEmpty ? shard : (folder as NSString).appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: shardPath) else {
                throw bad("shard '\(shard)' is missing (looked for \(shardPath))")
            }
            for tensor in try SafetensorsReader.read(path: shardPath) {
                if let other = seen[tensor.name] {
                    throw bad("tensor '\(tensor.name)' is in both '\(other)' and '\(shard)'")
                }
                seen[tensor.name] = shard
                tensors.append(tensor)
            }
        }
        for (tensor, shard) in shardOf.sorted(by: { $0.key < $1.key }) where seen[tensor] != shard {
            throw bad("weight_map puts '\(tensor)' in '\(shard)', "
                + (seen[tensor].map { "but it is in '\($0)'" } ?? "but no shard holds it"))
        }
        return tensors
    }
}
