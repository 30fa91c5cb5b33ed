import Foundation

/// One activation function of an LSTM, GRU or RNN node (the `activations`
/// attribute), with the alpha/beta it consumed.
///
/// Parameters follow onnxruntime, which is the reference Lathe is exact
/// against: the `activation_alpha` / `activation_beta` lists are consumed in
/// order only by the functions that take them (Affine, LeakyRelu,
/// ThresholdedRelu, ScaledTanh, HardSigmoid, Elu take alpha; Affine,
/// ScaledTanh, HardSigmoid take beta); a function left without a value gets
/// LeakyRelu 0.01, HardSigmoid 0.2/0.5, Elu 1.0, and 0 for every other one.
/// Names are case-insensitive.
struct RecurrentActivation: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable {
        case sigmoid, tanh, relu, affine, leakyrelu, thresholdedrelu, scaledtanh, hardsigmoid, elu, softsign, softplus

        var takesAlpha: Bool {
            switch self {
            case .affine, .leakyrelu, .thresholdedrelu, .scaledtanh, .hardsigmoid, .elu: return true
            default: return false
            }
        }

        var takesBeta: Bool { self == .affine || self == .scaledtanh || self == .hardsigmoid }

        var defaults: (alpha: Float, beta: Float) {
            switch self {
            case .leakyrelu: return (0.01, 0)
            case .hardsigmoid: return (0.2, 0.5)
            case .elu: return (1, 0)
            default: return (0, 0)
            }
        }
    }

    var kind: Kind
    var alpha: Float
    var beta: Float

    static let sigmoid = RecurrentActivation(kind: .sigmoid, alpha: 0, beta: 0)
    static let tanh = RecurrentActivation(kind: .tanh, alpha: 0, beta: 0)

    /// The node's activations, `perDirection` per direction: the listed ones
    /// (exactly `perDirection · directions` names) or `defaults` for each direction.
    static func list(of node: Node, defaults: [RecurrentActivation], directions: Int) throws -> [RecurrentActivation] {
        let perDirection = defaults.count
        guard let names = node.recurrentStrings("activations"), !names.isEmpty else {
            return Array([[RecurrentActivation]](repeating: defaults, count: directions).joined())
        }
        guard names.count == perDirection * directions else {
            throw node.kernelError("attribute activations lists \(names.count) functions; \(perDirection * directions) "
                + "expected (\(perDirection) per direction, \(directions) direction\(directions == 1 ? "" : "s"))")
        }
        var alphas = (node.floats("activation_alpha") ?? [])[...]
        var betas = (node.floats("activation_beta") ?? [])[...]
        return try names.map { name in
            guard let kind = Kind(rawValue: name.lowercased()) else {
                throw node.kernelError("unsupported activation '\(name)' (supported: Sigmoid, Tanh, Relu, Affine, "
                    + "LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus)")
            }
            var activation = RecurrentActivation(kind: kind, alpha: kind.defaults.alpha, beta: kind.defaults.beta)
            if kind.takesAlpha, let value = alphas.popFirst() { activation.alpha = value }
            if kind.takesBeta, let value = betas.popFirst() { activation.beta = value }
            return activation
        }
    }

    /// Applies the function in place to `count` values; the switch is outside
    /// the loops so each one vectorises.
    func apply(_ values: UnsafeMutablePointer<Float>, _ count: Int) {
        let a = alpha, b = beta
        switch kind {
        case .sigmoid:
            for i in 0..<count { values[i] = FastExp.sigmoid(values[i]) }
        case .tanh:
            for i in 0..<count { values[i] = FastExp.tanh(values[i]) }
        case .relu:
            for i in 0..<count { values[i] = values[i] > 0 ? values[i] : 0 }
        case .affine:
            for i in 0..<count { values[i] = a * values[i] + b }
        case .leakyrelu:
            for i in 0..<count { values[i] = values[i] >= 0 ? values[i] : a * values[i] }
        case .thresholdedrelu:
            for i in 0..<count { values[i] = values[i] > a ? values[i] : 0 }
        case .scaledtanh:
            for i in 0..<count { values[i] = a * FastExp.tanh(b * values[i]) }
        case .hardsigmoid:
            for i in 0..<count { values[i] = Swift.max(0, Swift.min(1, a * values[i] + b)) }
        case .elu:
            for i in 0..<count { values[i] = values[i] >= 0 ? values[i] : a * (FastExp.exp(values[i]) - 1) }
        case .softsign:
            for i in 0..<count { values[i] = values[i] / (1 + Swift.abs(values[i])) }
        case .softplus:
            // log(1 + e^x), computed as x + log(1 + e^-x) above 0 so large inputs do not overflow.
            for i in 0..<count {
                let x = values[i]
                values[i] = x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
            }
        }
    }
}
