import Foundation
import XCTest
@testable import LatheCore

/// Weights-only checkpoints made of a real sample's trained weights (lenet5's float layers, reshaped to
/// PyTorch's `[out, in…]` as they are), written byte by byte by `CheckpointBytes`, not by Lathe.
enum CheckpointExportFixtures {
    /// lenet5's weight layers by name (conv [out, in, kh, kw], Gemm [out, in]) and a 1-D bias.
    static func lenetTensors() throws -> [(name: String, tensor: Tensor)] {
        let path = LiveFixtures.samplePath("lenet5", "model.onnx")
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("sample lenet5 is not in this checkout") }
        let model = try ONNXReader.read(path: path)
        let floats = model.graph.initializers.filter { $0.value.isFloat }.sorted { $0.key < $1.key }
        return floats.map { ($0.key, $0.value) }
    }

    /// A safetensors file of lenet5's float tensors: rank-4 and rank-2 layers as F32, biases as F16, plus an
    /// I64 tensor (copied, never compressed).
    static func safetensors(in folder: TemporaryFolder) throws -> (path: String, tensors: [(name: String, tensor: Tensor)]) {
        let tensors = try lenetTensors()
        var entries: [(String, String, [Int], Int, Int)] = []
        var payload = Data()
        for (name, tensor) in tensors {
            let bytes = tensor.shape.count >= 2 ? CheckpointBytes.float32(tensor.floats) : CheckpointBytes.float16(tensor.floats)
            entries.append((name, tensor.shape.count >= 2 ? "F32" : "F16", tensor.shape, payload.count, payload.count + bytes.count))
            payload += bytes
        }
        let ids = CheckpointBytes.le(Int64(7)) + CheckpointBytes.le(Int64(9))
        entries.append(("position_ids", "I64", [2], payload.count, payload.count + ids.count))
        payload += ids
        let file = CheckpointBytes.safetensors(header: CheckpointBytes.header(entries, metadata: ["format": "pt"]), payload: payload)
        return (try folder.write(file, to: "lenet5.safetensors"), tensors)
    }

    /// A GGUF file of lenet5's Gemm layers (F32, GGUF's innermost-first dims), named like llama.cpp's.
    static func gguf(in folder: TemporaryFolder) throws -> (path: String, names: [String]) {
        let layers = try lenetTensors().filter { $0.tensor.shape.count == 2 }
        var tensors: [CheckpointBytes.GGUFTensor] = []
        var names: [String] = []
        for (index, (_, tensor)) in layers.enumerated() {
            let name = index == layers.count - 1 ? "output.weight" : "blk.\(index).attn_output.weight"
            names.append(name)
            tensors.append(.init(name: name, dims: tensor.shape.reversed().map(UInt64.init), type: 0,
                                 data: CheckpointBytes.float32(tensor.floats)))
        }
        let file = CheckpointBytes.gguf(kvs: [.string("general.architecture", "llama")], tensors: tensors)
        return (try folder.write(file, to: "lenet5.gguf"), names)
    }
}
