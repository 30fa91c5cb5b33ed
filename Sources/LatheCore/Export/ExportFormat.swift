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

    /// Whether the format is an ONNX model (verified by running it) rather than a settings file.
    public var isModel: Bool { self == .qdq || self == .fake }
}
