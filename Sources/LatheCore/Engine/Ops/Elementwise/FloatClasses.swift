/// IsNaN and IsInf: bool masks of the special values of a floating tensor.
enum FloatClasses {
    static let isNaN: Kernel = { node, inputs in
        let x = try floating(node, inputs)
        return [.boolean(shape: x.shape, Unary.map(x.floats) { $0.isNaN ? 1 : 0 })]
    }

    /// `detect_positive` / `detect_negative` (both 1 by default) choose which infinities count.
    static let isInf: Kernel = { node, inputs in
        let x = try floating(node, inputs)
        let positive = node.int("detect_positive", default: 1) != 0
        let negative = node.int("detect_negative", default: 1) != 0
        return [.boolean(shape: x.shape, Unary.map(x.floats) { v -> Int64 in
            (v == .infinity && positive) || (v == -.infinity && negative) ? 1 : 0
        })]
    }

    static func floating(_ node: Node, _ inputs: [Tensor?]) throws -> Tensor {
        let x = try node.input(0, of: inputs, "X")
        guard x.isFloat else { throw node.kernelError("expects a floating-point input, got \(x.dtype.rawValue)") }
        return x
    }
}
