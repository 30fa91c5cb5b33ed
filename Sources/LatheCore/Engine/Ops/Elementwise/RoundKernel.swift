/// ONNX Round (opset 11): every element rounded half to even, in its own
/// floating type (the rounding step of quantization; the expanded
/// DynamicQuantizeLinear function uses it).
enum RoundKernel {
    static func round(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "X")
        return [Tensor(shape: x.shape, floats: x.floats.map { $0.rounded(.toNearestOrEven) }, dtype: x.dtype)]
    }
}
