/// exp(x) in plain arithmetic (no libm call), so loops over it vectorise:
/// Sigmoid, Tanh and Softmax spend their time here. Cephes' single-precision
/// range reduction and polynomial, within 2 ulp of the true value over the
/// clamped range; NaN propagates.
enum FastExp {
    @inline(__always)
    static func exp(_ value: Float) -> Float {
        // Beyond these bounds the result over- or underflows the exponent
        // trick below; callers only need saturation there.
        let x = value > 88.3 ? 88.3 : (value < -87.3 ? -87.3 : value)
        // n = round(x / ln 2) by the 1.5·2^23 trick: the sum's low mantissa bits hold n.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        let y = p * r * r + r + 1
        let exponentBits = (shifted.bitPattern &- 0x4B40_0000 &+ 127) << 23
        return y * Float(bitPattern: exponentBits)
    }

    /// `exp(_:)` on eight lanes, lane for lane the same operations (so the same bits).
    @inline(__always)
    static func exp(_ value: SIMD8<Float>) -> SIMD8<Float> {
        let high = SIMD8<Float>(repeating: 88.3), low = SIMD8<Float>(repeating: -87.3)
        // As the scalar's comparisons: NaN fails both and passes through.
        let x = value.replacing(with: high, where: value .> high).replacing(with: low, where: value .< low)
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        let y = p * r * r + r + 1
        let bits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self)
        let exponentBits = (bits &- 0x4B40_0000 &+ 127) &<< 23
        return y * unsafeBitCast(exponentBits, to: SIMD8<Float>.self)
    }

    /// 1 / (1 + e^−x).
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// tanh(x) = 1 − 2 / (e^2x + 1), exact in sign and saturating at ±1.
    @inline(__always)
    static func tanh(_ x: Float) -> Float { 1 - 2 / (exp(2 * x) + 1) }
}
