import Foundation
import LatheCore

/// Every reader of user files, as fuzz targets. A new reader is one more line here.
public enum FuzzTargets {
    public static let all: [FuzzTarget] = [
        FuzzTarget("onnx", seeds: onnxSeeds, fileName: "model.onnx", companions: onnxCompanions,
                   fields: .protobuf) { _ = try ONNXReader.read(path: $0) },
        FuzzTarget("onnx-session", seeds: onnxSeeds, fileName: "model.onnx", companions: onnxCompanions,
                   fields: .protobuf) { try openWithoutData($0) },
        FuzzTarget("npy", seeds: npySeeds, fileName: "array.npy", fields: .npy) { _ = try NPYFormat.read(path: $0) },
        FuzzTarget("npz", seeds: npzSeeds, fileName: "arrays.npz", fields: [.zip, .npy]) {
            _ = try NPZFormat.read(path: $0)
        },
        FuzzTarget("dataset", seeds: npzSeeds + npySeeds, fileName: "data.npz", fields: [.zip, .npy]) {
            _ = try Dataset.load(path: $0)
        },
        FuzzTarget("config", seeds: configSeeds, fileName: "config.yaml", fields: .text) {
            _ = try CompressionConfig.read(path: $0)
        },
        FuzzTarget("safetensors", seeds: safetensorsSeeds, fileName: "model.safetensors", fields: .littleEndian) {
            try inspectCheckpoint($0)
        },
        FuzzTarget("safetensors-index", seeds: ["\(checkpointSeeds)/safetensors-index/*.json"],
                   fileName: "model.safetensors.index.json",
                   companions: ["\(checkpointSeeds)/safetensors-index/*.safetensors"], fields: .text) {
            try inspectCheckpoint($0)
        },
        FuzzTarget("gguf", seeds: ["\(checkpointSeeds)/gguf/*.gguf"], fileName: "model.gguf", fields: .littleEndian) {
            try inspectCheckpoint($0)
        },
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    static let fixtures = "Tests/LatheCoreTests/Fixtures"
    /// Small models (parsing a 600 KB model is slow and its mutations mostly hit weight bytes).
    static let onnxSeeds = ["samples/digits_mlp/model.onnx", "samples/if_branch/model.onnx",
                            "samples/exports/fp16_weights.onnx", "samples/exports/external_data.onnx",
                            "samples/exports/sklearn_mlp.onnx", "samples/mobilenet_qdq/model.onnx",
                            "samples/stateful/model.onnx", "samples/exports/zoo/*.onnx",
                            "\(fixtures)/formats/onnx/*.onnx", "\(fixtures)/formats/onnx/external/model.onnx",
                            "\(fixtures)/kernels/recurrent_model.onnx",
                            "\(fixtures)/quantized_models/digits_mlp_dynamic/model.onnx"]
    static let onnxCompanions = ["samples/exports/external_data.onnx.data", "\(fixtures)/formats/onnx/external/*.bin"]
    static let npySeeds = ["\(fixtures)/formats/npy/*.npy"]
    static let npzSeeds = ["\(fixtures)/formats/npy/*.npz", "samples/detector_b1/targets.npz",
                           "samples/digits_mlp/data.npz"]
    static let configSeeds = ["\(fixtures)/fuzz/seeds/config/*"]
    /// Written by the formats' reference writers (make_checkpoint_seeds.py there).
    static let checkpointSeeds = "\(fixtures)/fuzz/seeds"
    static let safetensorsSeeds = ["\(checkpointSeeds)/safetensors/*.safetensors",
                                   "\(checkpointSeeds)/safetensors-index/*.safetensors"]

    /// What `lathe inspect CHECKPOINT` and `lathe sensitivity CHECKPOINT` do: open (map and validate
    /// the header), then decode every float tensor through the mapping for its statistics,
    /// histogram and quantization noise, so a header that lies about where data lies reads outside
    /// the mapping (a crash), and one that claims more elements than the file holds allocates or
    /// loops for what it claims (the address-space limit and the time bound).
    static func inspectCheckpoint(_ path: String) throws {
        let checkpoint = try WeightCheckpoint.open(path: path)
        _ = CheckpointScan.profiles(checkpoint.tensors, bins: 64, sqnrBits: [2, 4, 8])
    }

    /// What `lathe inspect MODEL` does before any data: read, check the opsets, bind the inputs'
    /// declared shapes (shape inference, layer discovery).
    static func openWithoutData(_ path: String) throws {
        let model = try ONNXReader.read(path: path)
        try OpRegistry.checkOpset(of: model)
        _ = try InferenceSession(model: model, data: .declared(by: model))
    }
}
