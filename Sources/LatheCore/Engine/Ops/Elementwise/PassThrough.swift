/// Ops that return their input at inference: Identity, and Dropout (whose
/// optional mask is all ones: nothing is dropped).
enum PassThrough {
    static let identity: Kernel = { node, inputs in [try node.input(0, of: inputs, "input")] }

    /// The mask is bool from opset 10 (`boolMask`); before, it had the input's type.
    static func dropout(boolMask: Bool) -> Kernel { { node, inputs in
        let x = try node.input(0, of: inputs, "data")
        try refuseTraining(node, inputs)
        guard node.outputs.count > 1, !node.outputs[1].isEmpty else { return [x] }
        if !boolMask, x.isFloat {
            return [x, Tensor(shape: x.shape, floats: [Float](repeating: 1, count: x.count), dtype: x.dtype)]
        }
        return [x, .boolean(shape: x.shape, [Int64](repeating: 1, count: x.count))]
    } }

    /// Opset 12's training_mode input asks for random dropping, which an
    /// inference engine cannot reproduce; passing the data through would be
    /// silently wrong. A ratio of 0 drops nothing, so it still runs.
    private static func refuseTraining(_ node: Node, _ inputs: [Tensor?]) throws {
        guard let training = node.optionalInput(inputs, 2) else { return }
        guard try node.singleElement(training, "training_mode").asFloats[0] != 0 else { return }
        let ratio = try node.optionalInput(inputs, 1).map { try node.singleElement($0, "ratio").asFloats[0] } ?? 0.5
        guard ratio == 0 else {
            throw node.kernelError("training_mode = true is not supported; Lathe runs models for inference")
        }
    }
}
