import Foundation

/// An activation applied by Conv, ConvTranspose and Gemm to their own output,
/// in the same pass that adds the bias, instead of as a separate graph node.
/// The executor's fusion pass records it as node attributes:
/// `lathe.activation` (Relu | LeakyRelu | Clip | Sigmoid | HardSigmoid |
/// HardSwish | Tanh | SiLU, the x · Sigmoid(x) pair of YOLO-style models) with `lathe.alpha`, `lathe.beta`, `lathe.min`, `lathe.max`.
/// Defaults follow ONNX (LeakyRelu α 0.01, HardSigmoid α 0.2 β 0.5, Clip ±∞).
///
/// `apply(to:)` is public so standalone activation kernels can share the loops.
public enum FusedActivation: Sendable, Equatable {
    case identity
    case relu
    case leakyRelu(alpha: Float)
    case clip(min: Float, max: Float)
    case sigmoid
    case hardSigmoid(alpha: Float, beta: Float)
    case hardSwish
    case tanh
    /// x · sigmoid(x) (SiLU, "swish"): a Sigmoid and a Mul in the graph.
    case silu

    /// Attribute names the executor's fusion pass writes.
    public static let activationKey = "lathe.activation"
    public static let alphaKey = "lathe.alpha"
    public static let betaKey = "lathe.beta"
    public static let minKey = "lathe.min"
    public static let maxKey = "lathe.max"

    /// The activation a node asks for (identity when it names none).
    public init(node: Node) throws {
        guard let name = node.string(Self.activationKey) else {
            self = .identity
            return
        }
        switch name {
        case "Relu": self = .relu
        case "LeakyRelu": self = .leakyRelu(alpha: node.float(Self.alphaKey, default: 0.01))
        case "Clip":
            self = .clip(min: node.float(Self.minKey, default: -.infinity), max: node.float(Self.maxKey, default: .infinity))
        case "Sigmoid": self = .sigmoid
        case "HardSigmoid":
            self = .hardSigmoid(alpha: node.float(Self.alphaKey, default: 0.2), beta: node.float(Self.betaKey, default: 0.5))
        case "HardSwish": self = .hardSwish
        case "Tanh": self = .tanh
        case "SiLU": self = .silu
        default:
            throw node.kernelError("unknown fused activation '\(name)'")
        }
    }

    /// The node attributes that describe this activation (inverse of `init(node:)`).
    public var attributes: [String: AttributeValue] {
        switch self {
        case .identity: return [:]
        case .relu: return [Self.activationKey: .string("Relu")]
        case .leakyRelu(let alpha): return [Self.activationKey: .string("LeakyRelu"), Self.alphaKey: .float(alpha)]
        case .clip(let lo, let hi):
            return [Self.activationKey: .string("Clip"), Self.minKey: .float(lo), Self.maxKey: .float(hi)]
        case .sigmoid: return [Self.activationKey: .string("Sigmoid")]
        case .hardSigmoid(let alpha, let beta):
            return [Self.activationKey: .string("HardSigmoid"), Self.alphaKey: .float(alpha), Self.betaKey: .float(beta)]
        case .hardSwish: return [Self.activationKey: .string("HardSwish")]
        case .tanh: return [Self.activationKey: .string("Tanh")]
        case .silu: return [Self.activationKey: .string("SiLU")]
        }
    }

    public var isIdentity: Bool { self == .identity }

    /// One value (for scalar paths and tests).
    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .identity: return x
        case .relu: return Swift.max(x, 0)
        case .leakyRelu(let alpha): return x < 0 ? alpha * x : x
        case .clip(let lo, let hi): return Swift.min(Swift.max(x, lo), hi)
        case .sigmoid: return Self.sigmoid(x)
        case .hardSigmoid(let alpha, let beta): return Swift.min(Swift.max(alpha * x + beta, 0), 1)
        case .hardSwish: return x * Swift.min(Swift.max(x * (1 as Float / 6) + 0.5, 0), 1)
        case .tanh: return Foundation.tanh(x)
        case .silu: return x * Self.sigmoid(x)
        }
    }

    /// Applies the activation in place.
    public func apply(to buffer: UnsafeMutableBufferPointer<Float>) {
        guard let base = buffer.baseAddress else { return }
        addBiasAndApply(to: base, count: buffer.count, bias: 0)
    }

    /// Applies the activation to every element of an array.
    public func apply(to values: inout [Float]) {
        guard !isIdentity else { return }
        values.withUnsafeMutableBufferPointer { apply(to: $0) }
    }

    /// `x = act(x + bias)` over `count` contiguous values: the epilogue of one
    /// output channel of a convolution. One loop per case so the optimiser
    /// vectorises the cheap ones.
    @inline(__always)
    public func addBiasAndApply(to p: UnsafeMutablePointer<Float>, count: Int, bias: Float) {
        switch self {
        case .identity:
            if bias != 0 { for i in 0..<count { p[i] += bias } }
        case .relu:
            for i in 0..<count { p[i] = Swift.max(p[i] + bias, 0) }
        case .leakyRelu(let alpha):
            for i in 0..<count {
                let v = p[i] + bias
                p[i] = v < 0 ? alpha * v : v
            }
        case .clip(let lo, let hi):
            for i in 0..<count { p[i] = Swift.min(Swift.max(p[i] + bias, lo), hi) }
        case .sigmoid:
            for i in 0..<count { p[i] = Self.sigmoid(p[i] + bias) }
        case .hardSigmoid(let alpha, let beta):
            for i in 0..<count { p[i] = Swift.min(Swift.max(alpha * (p[i] + bias) + beta, 0), 1) }
        case .hardSwish:
            for i in 0..<count {
                let v = p[i] + bias
                p[i] = v * Swift.min(Swift.max(v * (1 as Float / 6) + 0.5, 0), 1)
            }
        case .tanh:
            for i in 0..<count { p[i] = Foundation.tanh(p[i] + bias) }
        case .silu:
            for i in 0..<count {
                let v = p[i] + bias
                p[i] = v * Self.sigmoid(v)
            }
        }
    }

    /// The logistic function as the standalone Sigmoid kernel computes it (`FastExp`: plain
    /// arithmetic that vectorises, and no overflow for large |x|), so a fused Sigmoid or SiLU
    /// gives the same values as the separate nodes.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { FastExp.sigmoid(x) }
}
