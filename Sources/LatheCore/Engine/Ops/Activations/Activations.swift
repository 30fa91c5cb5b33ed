import Foundation

/// Activation functions: Relu, LeakyRelu, PRelu, Clip, Sigmoid, HardSigmoid,
/// HardSwish, Tanh, Gelu.
enum Activations {
    static let relu: Kernel = { node, inputs in
        try Unary.numeric(node, inputs, float: { $0 > 0 ? $0 : 0 }, int: { $0 > 0 ? $0 : 0 })
    }

    static let leakyRelu: Kernel = { node, inputs in
        let alpha = node.float("alpha", default: 0.01)
        return try Unary.floating(node, inputs) { $0 >= 0 ? $0 : alpha * $0 }
    }

    /// PRelu: the slope broadcasts unidirectionally to X (X's shape is kept).
    static let prelu: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "X"), slope = try node.input(1, of: inputs, "slope")
        _ = try Arithmetic.commonType(node, [x, slope])
        guard let plan = BroadcastPlan([x.shape, slope.shape], to: x.shape) else {
            throw node.kernelError("slope of shape \(slope.shape) does not broadcast to input shape \(x.shape)")
        }
        if x.isFloat {
            let out = Broadcasting.map(x.floats, slope.floats, plan: plan) { v, s in v < 0 ? s * v : v }
            return [.floating(shape: x.shape, out, dtype: x.dtype)]
        }
        let out = Broadcasting.map(x.ints, slope.ints, plan: plan) { v, s in v < 0 ? s &* v : v }
        return [.integer(shape: x.shape, out, dtype: x.dtype)]
    }

    /// Clip: bounds are attributes before opset 11 and optional scalar inputs
    /// from 11 on (`inputForm`); a missing bound does not clip.
    static func clip(inputForm: Bool) -> Kernel { { node, inputs in
        let x = try node.input(0, of: inputs, "input")
        func bound(_ index: Int, _ role: String) throws -> Tensor? {
            guard inputForm, index < inputs.count, let t = inputs[index] else { return nil }
            let value = try node.singleElement(t, role)
            guard value.isFloat == x.isFloat else {
                throw node.kernelError("\(role) has type \(value.dtype.rawValue) but input has \(x.dtype.rawValue)")
            }
            return value
        }
        let lowTensor = try bound(1, "min"), highTensor = try bound(2, "max")
        if x.isFloat {
            var low = -Float.greatestFiniteMagnitude, high = Float.greatestFiniteMagnitude
            if inputForm {
                if let t = lowTensor { low = t.floats[0] }
                if let t = highTensor { high = t.floats[0] }
            } else {
                low = node.float("min", default: low)
                high = node.float("max", default: high)
            }
            // min(max(x, low), high): when low > high every value becomes high.
            let out = Unary.map(x.floats) { v -> Float in
                let lifted = v < low ? low : v
                return lifted > high ? high : lifted
            }
            return [.floating(shape: x.shape, out, dtype: x.dtype)]
        }
        let low = lowTensor?.ints[0] ?? .min, high = highTensor?.ints[0] ?? .max
        let out = Unary.map(x.ints) { v -> Int64 in Swift.min(Swift.max(v, low), high) }
        return [.integer(shape: x.shape, out, dtype: x.dtype)]
    } }

    static let sigmoid: Kernel = { node, inputs in
        try Unary.floating(node, inputs) { FastExp.sigmoid($0) }
    }

    static let hardSigmoid: Kernel = { node, inputs in
        let alpha = node.float("alpha", default: 0.2), beta = node.float("beta", default: 0.5)
        return try Unary.floating(node, inputs) { Swift.max(0, Swift.min(1, alpha * $0 + beta)) }
    }

    /// HardSwish: x · HardSigmoid(x) with alpha 1/6, beta 0.5.
    static let hardSwish: Kernel = { node, inputs in
        let alpha: Float = 1.0 / 6.0
        return try Unary.floating(node, inputs) { $0 * Swift.max(0, Swift.min(1, alpha * $0 + 0.5)) }
    }

    static let tanh: Kernel = { node, inputs in try Unary.floating(node, inputs) { FastExp.tanh($0) } }

    /// Gelu (opset 20): exact with erf, or the tanh approximation.
    static let gelu: Kernel = { node, inputs in
        switch node.string("approximate") ?? "none" {
        case "none":
            return try Unary.floatingArray(node, inputs, FastErf.gelu)
        case "tanh":
            let c = Float((2 / Double.pi).squareRoot())
            return try Unary.floating(node, inputs) { x in
                0.5 * x * (1 + FastExp.tanh(c * (x + 0.044715 * x * x * x)))
            }
        case let other:
            throw node.kernelError("unsupported approximate '\(other)' (expected none or tanh)")
        }
    }
}
