import Foundation

extension FusedActivation {
    /// The epilogue of eight values held in a register (see `Kind.apply(_:)`).
    @inline(__always)
    func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
        guard hasAffine else { return kind.apply(v) }
        return post.apply(kind.apply(pre.apply(v)))
    }
}

extension FusedActivation.Kind {
    /// The activation of eight values held in a register, so a kernel that
    /// produces its outputs eight at a time finishes them before the store
    /// instead of in a second pass over memory. Lane for lane the same
    /// operations as `apply(_:)` (comparisons false for NaN keep NaN, as the
    /// scalar `max`/`min` do), so both paths give identical results.
    @inline(__always)
    func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .identity: return v
        case .relu: return Self.reluLanes(v)
        case .leakyRelu(let alpha): return Self.leakyReluLanes(v, alpha)
        case .clip(let lo, let hi): return Self.clamp(v, lo, hi)
        case .hardSigmoid(let alpha, let beta): return Self.hardSigmoidLanes(v, alpha, beta)
        case .hardSwish: return Self.hardSwishLanes(v)
        case .sigmoid: return Self.sigmoidLanes(v)
        case .silu: return Self.siluLanes(v)
        case .tanh: return Self.tanhLanes(v)
        }
    }

    // One small function per activation, so a loop specialised for one (`storeAddingBias`) inlines it.
    @inline(__always) static func reluLanes(_ v: SIMD8<Float>) -> SIMD8<Float> { v.replacing(with: 0, where: v .<= 0) }
    @inline(__always) static func leakyReluLanes(_ v: SIMD8<Float>, _ alpha: Float) -> SIMD8<Float> {
        v.replacing(with: alpha * v, where: v .< 0)
    }
    @inline(__always) static func hardSigmoidLanes(_ v: SIMD8<Float>, _ alpha: Float, _ beta: Float) -> SIMD8<Float> {
        clamp(alpha * v + beta, 0, 1)
    }
    @inline(__always) static func hardSwishLanes(_ v: SIMD8<Float>) -> SIMD8<Float> {
        v * clamp(v * (1 as Float / 6) + 0.5, 0, 1)
    }
    @inline(__always) static func sigmoidLanes(_ v: SIMD8<Float>) -> SIMD8<Float> { 1 / (1 + FastExp.exp(-v)) }
    @inline(__always) static func siluLanes(_ v: SIMD8<Float>) -> SIMD8<Float> { v * (1 / (1 + FastExp.exp(-v))) }
    static func tanhLanes(_ v: SIMD8<Float>) -> SIMD8<Float> {
        var result = v
        for lane in 0..<8 { result[lane] = Foundation.tanh(v[lane]) }
        return result
    }

    /// `min(max(v, lo), hi)` per lane exactly as the scalar functions pick
    /// (`max(x, y)` is `y >= x ? y : x`, so -0 against a 0 bound gives +0 and NaN stays NaN).
    @inline(__always)
    static func clamp(_ v: SIMD8<Float>, _ lo: Float, _ hi: Float) -> SIMD8<Float> {
        let raised = v.replacing(with: lo, where: v .<= lo)
        return raised.replacing(with: hi, where: raised .> hi)
    }
}

extension FusedActivation {
    /// `dst = epilogue(src + bias)` over `count` values: moving a GEMM product
    /// into place and finishing it in one pass over memory instead of a copy
    /// and then `addBiasAndApply` (`src` may be `dst`). One SIMD loop per
    /// activation, so the switch stays outside the loop; the tail goes through
    /// the same SIMD function. Never inlined, so its SIMD loads stay inlined
    /// here (see `DepthwiseConv3x3.run`).
    @inline(never)
    func storeAddingBias(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int,
                         bias: Float) {
        switch kind {
        case .identity: store(src, dst, count, bias) { $0 }
        case .relu: store(src, dst, count, bias) { Kind.reluLanes($0) }
        case .leakyRelu(let alpha): store(src, dst, count, bias) { Kind.leakyReluLanes($0, alpha) }
        case .clip(let lo, let hi): store(src, dst, count, bias) { Kind.clamp($0, lo, hi) }
        case .sigmoid: store(src, dst, count, bias) { Kind.sigmoidLanes($0) }
        case .hardSigmoid(let alpha, let beta): store(src, dst, count, bias) { Kind.hardSigmoidLanes($0, alpha, beta) }
        case .hardSwish: store(src, dst, count, bias) { Kind.hardSwishLanes($0) }
        case .tanh: store(src, dst, count, bias) { Kind.tanhLanes($0) }
        case .silu: store(src, dst, count, bias) { Kind.siluLanes($0) }
        }
    }

    @inline(__always)
    private func store(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int, _ bias: Float,
                       _ activation: (SIMD8<Float>) -> SIMD8<Float>) {
        if hasAffine {
            let pre = pre, post = post
            Self.loop(src, dst, count, bias) { post.apply(activation(pre.apply($0))) }
        } else {
            Self.loop(src, dst, count, bias, activation)
        }
    }

    @inline(__always)
    private static func loop(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int,
                             _ bias: Float, _ f: (SIMD8<Float>) -> SIMD8<Float>) {
        let b = SIMD8<Float>(repeating: bias)
        var i = 0
        while count &- i >= 8 {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self) + b
            UnsafeMutableRawPointer(dst + i).storeBytes(of: f(v), as: SIMD8<Float>.self)
            i &+= 8
        }
        guard i < count else { return }
        var tail = SIMD8<Float>(repeating: 0)
        for lane in 0..<(count &- i) { tail[lane] = src[i &+ lane] }
        let done = f(tail + b)
        for lane in 0..<(count &- i) { dst[i &+ lane] = done[lane] }
    }
}
