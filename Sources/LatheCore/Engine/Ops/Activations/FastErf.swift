/// erf(x) in plain arithmetic, so the Erf and Gelu loops vectorise: glibc's
/// `erff` is a call per element with branches inside, and was a quarter of
/// the transformer sample's time. The method and coefficients are N. Juffa's
/// faithfully rounded erff (Stack Overflow question 35148198; onnxruntime's
/// MLAS Erf uses the same ones): an odd polynomial below |x| = 0.921875,
/// 1 − exp(−(t + t·q(t))) above. Evaluated without fused multiply-adds and
/// with `FastExp`, the result stays within 1.26 ulp of the true value over
/// every float (glibc: 0.97 ulp). Both branches are computed and one is
/// selected, so there is no branch to stop vectorisation; NaN propagates,
/// ±0 and ±∞ give ±0 and ±1.
enum FastErf {
    @inline(__always)
    static func erf(_ x: Float) -> Float {
        let bits = x.bitPattern
        let t = Float(bitPattern: bits & 0x7FFF_FFFF)
        // |x| ≤ 0.921875: t + t·p(t²); p's constant term is 2/√π − 1.
        let s = t * t
        var p: Float = -5.991_049_69e-4
        p = p * s + 4.993_395_88e-3
        p = p * s - 2.676_673_42e-2
        p = p * s + 1.128_180_25e-1
        p = p * s - 3.761_248_59e-1
        p = p * s + 1.283_791_51e-1
        let near = p * t + t
        // Beyond 3.925 erf rounds to 1; clamping keeps q inside its fitted range.
        let u = t < 3.925 ? t : 3.925
        var q: Float = 1.729_489_30e-5
        q = q * u - 3.832_086_80e-4
        q = q * u + 3.883_934_35e-3
        q = q * u - 2.425_456_05e-2
        q = q * u + 1.067_778_47e-1
        q = q * u + 6.348_466_87e-1
        q = q * u + 1.287_175_12e-1
        let far = 1 - FastExp.exp(-(q * u + u))
        // NaN fails the comparison and takes the polynomial, which keeps it NaN.
        let magnitude = t > 0.921_875 ? far : near
        return Float(bitPattern: magnitude.bitPattern | (bits & 0x8000_0000))
    }

    /// erf of each value.
    static func erf(_ values: [Float]) -> [Float] { map(values, gelu: false) }

    /// Exact Gelu of each value: 0.5 · x · (1 + erf(x / √2)).
    static func gelu(_ values: [Float]) -> [Float] { map(values, gelu: true) }

    // Loops of their own rather than closures for `Unary.map`: the closure
    // around this much arithmetic was not inlined, leaving a call per element
    // and scalar code (slower than glibc's erff).
    private static func map(_ values: [Float], gelu: Bool) -> [Float] {
        values.withUnsafeBufferPointer { src in
            uninitializedFloats(values.count) { dst in
                guard let x = src.baseAddress, let y = dst.baseAddress else { return }
                if gelu {
                    geluLoop(x, y, count: values.count)
                } else {
                    erfLoop(x, y, count: values.count)
                }
            }
        }
    }

    @inline(never)
    private static func erfLoop(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] = erf(x[i]) }
    }

    @inline(never)
    private static func geluLoop(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let invSqrt2 = Float(1 / 2.0.squareRoot())
        for i in 0..<count { y[i] = 0.5 * x[i] * (1 + erf(x[i] * invSqrt2)) }
    }
}
