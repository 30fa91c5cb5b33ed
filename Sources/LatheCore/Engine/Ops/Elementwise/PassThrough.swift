/// Ops that return their input at inference: Identity, and Dropout (whose
/// optional mask is all ones: nothing is dropped).
enum PassThrough {
    static let identity: Kernel = { node, inputs in [try node.input(0, of: inputs, "input")] }

    /// The mask is bool from opset 10 (`boolMask`); before, it had the input's type.
    static func dropout(boolMask: Bool) -> Kernel { { node, inputs in
        let x = try node.input(0, of: inputs, "data")
        guard node.outputs.count > 1, !node.outputs[1].isEmpty else { return [x] }
        if !boolMask, x.isFloat {
            return [x, Tensor(shape: x.shape, floats: [Float](repeating: 1, count: x.count), dtype: x.dtype)]
        }
        return [x, .boolean(shape: x.shape, [Int64](repeating: 1, count: x.count))]
    } }
}
