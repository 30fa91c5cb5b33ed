/// The uniform grids of DESIGN.md "Standard definitions". All arithmetic is
/// float32 in the order the definitions are written, as numpy evaluates them on
/// float32 arrays, so results match numpy bit for bit. Rounding is half to even.
public enum QuantizationGrid: Sendable, Equatable {
    /// `s = m / qmax` (s = 1 where m is 0), `w' = clamp(round(w/s), -qmax, qmax)·s`.
    case symmetric(qmax: Float, scale: Float)
    /// `s = (hi-lo)/(2^b-1)` (s = 1 where hi = lo = 0), `zp = clamp(round(-lo/s), 0, 2^b-1)`,
    /// `w' = (clamp(round(w/s)+zp, 0, 2^b-1) - zp)·s`.
    case asymmetric(levels: Float, scale: Float, zeroPoint: Float)

    /// The symmetric grid with `bits` ≥ 2 that covers magnitudes up to `maxMagnitude`.
    public static func symmetric(bits: Int, maxMagnitude: Float) -> QuantizationGrid {
        let qmax = Float((1 << (bits - 1)) - 1)
        let scale = maxMagnitude > 0 ? maxMagnitude / qmax : 1
        return .symmetric(qmax: qmax, scale: scale)
    }

    /// The asymmetric grid with `bits` that covers [min(lo, 0), max(hi, 0)].
    public static func asymmetric(bits: Int, lo: Float, hi: Float) -> QuantizationGrid {
        let levels = Float((1 << bits) - 1)
        let low = min(lo, 0), high = max(hi, 0)
        var scale = (high - low) / levels
        if !(scale > 0) { scale = 1 }
        let zeroPoint = min(max((-low / scale).rounded(.toNearestOrEven), 0), levels)
        return .asymmetric(levels: levels, scale: scale, zeroPoint: zeroPoint)
    }

    /// The same grid with its step rounded up to a whole number (at least 1), so every value it gives is
    /// an integer, for a layer the integer kernels read (`LayerOp.holdsIntegers`): symmetric
    /// `s' = max(1, ceil(s))`; asymmetric the same, with the zero point recomputed for `s'` from the grid's
    /// low end. A coarser b-bit grid than the range alone would choose, but exact in the integer kernel.
    public var wholeNumberSteps: QuantizationGrid {
        switch self {
        case let .symmetric(qmax, scale):
            return .symmetric(qmax: qmax, scale: max(1, scale.rounded(.up)))
        case let .asymmetric(levels, scale, zeroPoint):
            let step = max(1, scale.rounded(.up))
            let low = -zeroPoint * scale
            return .asymmetric(levels: levels, scale: step,
                               zeroPoint: min(max((-low / step).rounded(.toNearestOrEven), 0), levels))
        }
    }

    @inline(__always)
    public func apply(_ w: Float) -> Float {
        switch self {
        case let .symmetric(qmax, scale):
            return min(max((w / scale).rounded(.toNearestOrEven), -qmax), qmax) * scale
        case let .asymmetric(levels, scale, zeroPoint):
            let q = min(max((w / scale).rounded(.toNearestOrEven) + zeroPoint, 0), levels)
            return (q - zeroPoint) * scale
        }
    }

    public var scale: Float {
        switch self {
        case .symmetric(_, let scale), .asymmetric(_, let scale, _): return scale
        }
    }
}
