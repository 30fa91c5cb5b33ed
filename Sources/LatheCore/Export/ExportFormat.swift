/// What `lathe export` writes.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// ONNX with integer weights behind DequantizeLinear, codebooks through Gather, halves through Cast,
    /// and activation quantization as QuantizeLinear/DequantizeLinear (or its float arithmetic).
    case qdq
    /// ONNX with every compressed weight stored as its float32 compressed values.
    case fake
    /// The v1 configuration as JSON.
    case configJSON = "config-json"
    /// onnxruntime quantization overrides (`TensorQuantOverrides`, `nodes_to_exclude`).
    case ortOverrides = "ort-overrides"
    /// llama.cpp's `llama-quantize --tensor-type NAME=TYPE` lines (weights-only checkpoints).
    case llamaTensorTypes = "llama-tensor-types"
    /// A safetensors file of integer codes and scales (weights-only checkpoints).
    case safetensors

    /// Whether the format applies to a weights-only checkpoint (safetensors, GGUF) rather than an ONNX model.
    public var isCheckpointFormat: Bool { self == .llamaTensorTypes || self == .safetensors }

    /// Whether the format is an ONNX model (verified by running it) rather than a settings file.
    public var isModel: Bool { self == .qdq || self == .fake }
}
