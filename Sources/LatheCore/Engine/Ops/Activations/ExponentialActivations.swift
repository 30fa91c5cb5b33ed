import Foundation

/// The activations built on exp, log and tanh: Softplus, Softsign, Elu,
/// Selu, Celu, ThresholdedRelu, Mish. Float-only, written as onnxruntime
/// writes them, with the forms that cannot overflow where exp could.
extension Activations {
    /// log(1 + eˣ) as max(x, 0) + log1p(e^−|x|): exact in the tails, no overflow for large x.
    @inline(__always)
    static func softplusValue(_ x: Float) -> Float { Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x))) }

    static let softplus: Kernel = { node, inputs in try Unary.floating(node, inputs, softplusValue) }

    static let softsign: Kernel = { node, inputs in try Unary.floating(node, inputs) { $0 / (1 + Swift.abs($0)) } }

    static let elu: Kernel = { node, inputs in
        let alpha = node.float("alpha", default: 1)
        return try Unary.floating(node, inputs) { $0 >= 0 ? $0 : alpha * (Foundation.exp($0) - 1) }
    }

    /// Selu's defaults are the constants of the paper, as the ONNX spec states them in float.
    static let selu: Kernel = { node, inputs in
        let alpha = node.float("alpha", default: 1.67326319217681884765625)
        let gamma = node.float("gamma", default: 1.05070102214813232421875)
        return try Unary.floating(node, inputs) { $0 > 0 ? gamma * $0 : gamma * (alpha * Foundation.exp($0) - alpha) }
    }

    /// Celu (opset 12): max(0, x) + min(0, α(e^(x/α) − 1)).
    static let celu: Kernel = { node, inputs in
        let alpha = node.float("alpha", default: 1)
        guard alpha != 0 else { throw node.kernelError("alpha must not be 0 (it divides x)") }
        return try Unary.floating(node, inputs) { x in
            Swift.max(0, x) + Swift.min(0, alpha * (Foundation.exp(x / alpha) - 1))
        }
    }

    static let thresholdedRelu: Kernel = { node, inputs in
        let alpha = node.float("alpha", default: 1)
        return try Unary.floating(node, inputs) { $0 > alpha ? $0 : 0 }
    }

    /// Mish (opset 18): x · tanh(softplus(x)).
    static let mish: Kernel = { node, inputs in
        try Unary.floating(node, inputs) { $0 * Foundation.tanh(softplusValue($0)) }
    }
}
