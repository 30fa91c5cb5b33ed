import Foundation
import LatheCore

/// `lathe export CHECKPOINT`: a weights-only checkpoint's configuration written for another tool
/// (llama.cpp's tensor types), as a quantized safetensors file, or as the v1 configuration in JSON.
struct CheckpointExport {
    let model: String
    let config: String
    let out: String
    let format: ExportFormat
    let json: Bool
    let hasData: Bool

    func run() throws {
        guard format == .llamaTensorTypes || format == .safetensors || format == .configJSON else {
            throw LatheError.badInput(file: model, "is a weights-only checkpoint: --format \(format.rawValue) writes "
                + "an ONNX model or onnxruntime overrides, which need a graph; use llama-tensor-types, safetensors "
                + "or config-json")
        }
        if hasData {
            throw LatheError.badInput(file: model, "is a weights-only checkpoint: --data needs a model graph (ONNX)")
        }
        let compression = try ConfigApplication.read(config)
        let checkpoint = try WeightCheckpoint.open(path: model)
        // Every file the checkpoint reads (shards included) is an input that must not be overwritten.
        let inputs = [model, config] + Set(checkpoint.tensors.map(\.file.path)).sorted()
        try InputFiles.checkWritable(out, notOnto: inputs)
        try ExportTarget.check(out, notOnto: inputs)
        let layers = checkpoint.layerTensors.map(CheckpointEvaluator.layer)
        let plan = try compression.plan(for: layers)
        switch format {
        case .llamaTensorTypes:
            try InteropFiles.write(LlamaTensorTypes.render(checkpoint: checkpoint, plan: plan), to: out)
            print(json ? JSONValue.object([("format", .string(format.rawValue)), ("out", .string(out)),
                                           ("tensors", .int(layers.count))]).rendered()
                       : "wrote \(out) (\(format.rawValue)): \(layers.count) --tensor-type lines")
        case .safetensors:
            let bar = ProgressBar()
            let summary: QuantizedSafetensors.Summary
            do {
                summary = try QuantizedSafetensors.write(checkpoint: checkpoint, plan: plan, to: out) { done, total in
                    bar.update("writing", done: done, total: total)
                }
            } catch {
                bar.finish()
                throw error
            }
            bar.finish()
            let ratio = summary.storedBytes == 0 ? 0 : Double(summary.fileBytes) / Double(summary.storedBytes)
            print(json ? JSONValue.object([
                ("format", .string(format.rawValue)), ("out", .string(out)), ("file_bytes", .int(summary.fileBytes)),
                ("stored_bytes", .int(summary.storedBytes)), ("file_ratio", .double(ratio)),
                ("tensors", .int(summary.tensors)), ("quantized", .int(summary.quantized)),
            ]).rendered()
                : "wrote \(out) (safetensors): \(summary.quantized) of \(summary.tensors) tensors as integer codes, "
                    + "\(summary.fileBytes) bytes, " + String(format: "%.3f", ratio) + "× the checkpoint's tensor bytes")
        default:
            try InteropFiles.write(ConfigWriter.renderJSON(CompressionConfig(plan: plan, model: compression.model ?? model)),
                                   to: out)
            print(json ? JSONValue.object([("format", .string(format.rawValue)), ("out", .string(out))]).rendered()
                       : "wrote \(out) (\(format.rawValue))")
        }
    }
}
