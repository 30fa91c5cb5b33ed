extension FusedActivation {
    /// The activation of eight values held in a register, so a kernel that
    /// produces its outputs eight at a time finishes them before the store
    /// instead of in a second pass over memory. Lane for lane the same
    /// operations as `apply(_:)` (comparisons false for NaN keep NaN, as the
    /// scalar `max`/`min` do), so both paths give identical results.
    @inline(__always)
    func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .identity:
            return v
        case .relu:
            return v.replacing(with: 0, where: v .<= 0)
        case .leakyRelu(let alpha):
            return v.replacing(with: alpha * v, where: v .< 0)
        case .clip(let lo, let hi):
            return Self.clamp(v, lo, hi)
        case .hardSigmoid(let alpha, let beta):
            return Self.clamp(alpha * v + beta, 0, 1)
        case .hardSwish:
            return v * Self.clamp(v * (1 as Float / 6) + 0.5, 0, 1)
        case .sigmoid:
            return 1 / (1 + FastExp.exp(-v))
        case .silu:
            return v * (1 / (1 + FastExp.exp(-v)))
        case .tanh:
            var result = v
            for lane in 0..<8 { result[lane] = apply(v[lane]) }
            return result
        }
    }

    /// `min(max(v, lo), hi)` per lane exactly as the scalar functions pick
    /// (`max(x, y)` is `y >= x ? y : x`, so -0 against a 0 bound gives +0 and NaN stays NaN).
    @inline(__always)
    private static func clamp(_ v: SIMD8<Float>, _ lo: Float, _ hi: Float) -> SIMD8<Float> {
        let raised = v.replacing(with: lo, where: v .<= lo)
        return raised.replacing(with: hi, where: raised .> hi)
    }
}

extension FusedActivation {
    /// `dst = act(src + bias)` over `count` values: moving a GEMM product
    /// into place and finishing it in one pass over memory instead of a copy
    /// and then `addBiasAndApply`. Same arithmetic, same results. Never
    /// inlined, so its SIMD loads stay inlined here (see `DepthwiseConv3x3.run`).
    @inline(never)
    func storeAddingBias(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int,
                         bias: Float) {
        let b = SIMD8<Float>(repeating: bias)
        var i = 0
        while count &- i >= 8 {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self) + b
            UnsafeMutableRawPointer(dst + i).storeBytes(of: apply(v), as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < count {
            dst[i] = apply(src[i] + bias)
            i &+= 1
        }
    }
}
