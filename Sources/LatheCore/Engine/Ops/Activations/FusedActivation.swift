import Foundation

/// The epilogue Conv, ConvTranspose and Gemm apply to their own output, in the
/// same pass that adds the bias, instead of as separate graph nodes:
/// `post(activation(pre(x)))`, where `pre` and `post` are `x · scale + shift` with
/// scalar constants (the learnable affine blocks of PP-LCNet-style models, a
/// Mul and an Add around every activation) and the activation is one of `Kind`.
/// The executor's fusion passes record it as node attributes:
/// `lathe.activation` (Relu | LeakyRelu | Clip | Sigmoid | HardSigmoid |
/// HardSwish | Tanh | SiLU, the x · Sigmoid(x) pair of YOLO-style models) with `lathe.alpha`, `lathe.beta`, `lathe.min`, `lathe.max`,
/// and `lathe.pre_scale`, `lathe.pre_shift`, `lathe.post_scale`, `lathe.post_shift`.
/// Defaults follow ONNX (LeakyRelu α 0.01, HardSigmoid α 0.2 β 0.5, Clip ±∞).
///
/// `apply(to:)` is public so standalone activation kernels can share the loops.
public struct FusedActivation: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
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
    }

    /// `x · scale + shift` as the graph's Mul then Add compute it: two roundings, no FMA, so a
    /// fused stage gives the unfused nodes' values.
    public struct Affine: Sendable, Equatable {
        public var scale: Float
        public var shift: Float

        public init(scale: Float = 1, shift: Float = 0) {
            self.scale = scale
            self.shift = shift
        }

        public var isIdentity: Bool { scale == 1 && shift == 0 }

        @inline(__always)
        func apply(_ x: Float) -> Float { x * scale + shift }

        @inline(__always)
        func apply(_ v: SIMD8<Float>) -> SIMD8<Float> { v * SIMD8(repeating: scale) + SIMD8(repeating: shift) }
    }

    public let kind: Kind
    /// Before the activation (a Mul and/or Add by scalar constants right after the producer).
    public let pre: Affine
    /// After the activation.
    public let post: Affine
    /// Whether `pre` or `post` does anything: kept so the inner loops test one flag.
    let hasAffine: Bool

    public init(kind: Kind, pre: Affine = Affine(), post: Affine = Affine()) {
        self.kind = kind
        self.pre = pre
        self.post = post
        hasAffine = !pre.isIdentity || !post.isIdentity
    }

    public static let identity = FusedActivation(kind: .identity)
    public static let relu = FusedActivation(kind: .relu)
    public static let sigmoid = FusedActivation(kind: .sigmoid)
    public static let hardSwish = FusedActivation(kind: .hardSwish)
    public static let tanh = FusedActivation(kind: .tanh)
    public static let silu = FusedActivation(kind: .silu)
    public static func leakyRelu(alpha: Float) -> FusedActivation { FusedActivation(kind: .leakyRelu(alpha: alpha)) }
    public static func clip(min: Float, max: Float) -> FusedActivation { FusedActivation(kind: .clip(min: min, max: max)) }
    public static func hardSigmoid(alpha: Float, beta: Float) -> FusedActivation {
        FusedActivation(kind: .hardSigmoid(alpha: alpha, beta: beta))
    }

    /// Attribute names the executor's fusion passes write.
    public static let activationKey = "lathe.activation"
    public static let alphaKey = "lathe.alpha"
    public static let betaKey = "lathe.beta"
    public static let minKey = "lathe.min"
    public static let maxKey = "lathe.max"
    public static let preScaleKey = "lathe.pre_scale"
    public static let preShiftKey = "lathe.pre_shift"
    public static let postScaleKey = "lathe.post_scale"
    public static let postShiftKey = "lathe.post_shift"
    /// Every attribute of an epilogue: a node carrying any of them computes more than its op.
    public static let epilogueKeys = [activationKey, alphaKey, betaKey, minKey, maxKey,
                                      preScaleKey, preShiftKey, postScaleKey, postShiftKey]

    /// Whether a fusion pass has given `node` an epilogue already.
    public static func hasEpilogue(_ node: Node) -> Bool {
        epilogueKeys.contains { node.attributes[$0] != nil }
    }

    /// The epilogue a node asks for (identity when it names none).
    public init(node: Node) throws {
        let kind: Kind
        switch node.string(Self.activationKey) {
        case nil: kind = .identity
        case "Relu": kind = .relu
        case "LeakyRelu": kind = .leakyRelu(alpha: node.float(Self.alphaKey, default: 0.01))
        case "Clip":
            kind = .clip(min: node.float(Self.minKey, default: -.infinity), max: node.float(Self.maxKey, default: .infinity))
        case "Sigmoid": kind = .sigmoid
        case "HardSigmoid":
            kind = .hardSigmoid(alpha: node.float(Self.alphaKey, default: 0.2), beta: node.float(Self.betaKey, default: 0.5))
        case "HardSwish": kind = .hardSwish
        case "Tanh": kind = .tanh
        case "SiLU": kind = .silu
        case let name?:
            throw node.kernelError("unknown fused activation '\(name)'")
        }
        self.init(kind: kind,
                  pre: Affine(scale: node.float(Self.preScaleKey, default: 1), shift: node.float(Self.preShiftKey, default: 0)),
                  post: Affine(scale: node.float(Self.postScaleKey, default: 1),
                               shift: node.float(Self.postShiftKey, default: 0)))
    }

    /// The node attributes that describe this epilogue (inverse of `init(node:)`).
    public var attributes: [String: AttributeValue] {
        var result: [String: AttributeValue]
        switch kind {
        case .identity: result = [:]
        case .relu: result = [Self.activationKey: .string("Relu")]
        case .leakyRelu(let alpha): result = [Self.activationKey: .string("LeakyRelu"), Self.alphaKey: .float(alpha)]
        case .clip(let lo, let hi):
            result = [Self.activationKey: .string("Clip"), Self.minKey: .float(lo), Self.maxKey: .float(hi)]
        case .sigmoid: result = [Self.activationKey: .string("Sigmoid")]
        case .hardSigmoid(let alpha, let beta):
            result = [Self.activationKey: .string("HardSigmoid"), Self.alphaKey: .float(alpha), Self.betaKey: .float(beta)]
        case .hardSwish: result = [Self.activationKey: .string("HardSwish")]
        case .tanh: result = [Self.activationKey: .string("Tanh")]
        case .silu: result = [Self.activationKey: .string("SiLU")]
        }
        if pre.scale != 1 { result[Self.preScaleKey] = .float(pre.scale) }
        if pre.shift != 0 { result[Self.preShiftKey] = .float(pre.shift) }
        if post.scale != 1 { result[Self.postScaleKey] = .float(post.scale) }
        if post.shift != 0 { result[Self.postShiftKey] = .float(post.shift) }
        return result
    }

    public var isIdentity: Bool { kind == .identity && pre.isIdentity && post.isIdentity }

    /// One value (for scalar paths and tests).
    @inline(__always)
    public func apply(_ x: Float) -> Float {
        guard hasAffine else { return kind.apply(x) }
        return post.apply(kind.apply(pre.apply(x)))
    }

    /// Applies the epilogue in place.
    public func apply(to buffer: UnsafeMutableBufferPointer<Float>) {
        guard let base = buffer.baseAddress else { return }
        addBiasAndApply(to: base, count: buffer.count, bias: 0)
    }

    /// Applies the epilogue to every element of an array.
    public func apply(to values: inout [Float]) {
        guard !isIdentity else { return }
        values.withUnsafeMutableBufferPointer { apply(to: $0) }
    }

    /// `x = epilogue(x + bias)` over `count` contiguous values: the end of one
    /// output channel of a convolution (`storeAddingBias` in place; nothing to do, and
    /// nothing written, for the identity without a bias).
    @inline(__always)
    public func addBiasAndApply(to p: UnsafeMutablePointer<Float>, count: Int, bias: Float) {
        guard !(isIdentity && bias == 0) else { return }
        storeAddingBias(from: p, to: p, count: count, bias: bias)
    }
}

extension FusedActivation.Kind {
    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .identity: return x
        case .relu: return Swift.max(x, 0)
        case .leakyRelu(let alpha): return x < 0 ? alpha * x : x
        case .clip(let lo, let hi): return Swift.min(Swift.max(x, lo), hi)
        case .sigmoid: return FusedActivation.sigmoid(x)
        case .hardSigmoid(let alpha, let beta): return Swift.min(Swift.max(alpha * x + beta, 0), 1)
        case .hardSwish: return x * Swift.min(Swift.max(x * (1 as Float / 6) + 0.5, 0), 1)
        case .tanh: return Foundation.tanh(x)
        case .silu: return x * FusedActivation.sigmoid(x)
        }
    }
}

extension FusedActivation {
    /// The logistic function as the standalone Sigmoid kernel computes it (`FastExp`: plain
    /// arithmetic that vectorises, and no overflow for large |x|), so a fused Sigmoid or SiLU
    /// gives the same values as the separate nodes.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { FastExp.sigmoid(x) }
}
