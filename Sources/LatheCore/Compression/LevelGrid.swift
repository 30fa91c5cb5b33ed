/// Non-uniform symmetric levels (config `grid: nf4 | pow2`): a table of unit levels in
/// [-1, 1] times the block's largest surviving magnitude, as the README's "Recovery methods" defines them.
/// Every weight goes to its nearest level, a tie to the lower one — numpy's
/// `levels[argmin(|w - levels|)]` on float32 with the levels ascending.
public struct LevelGrid: Sendable, Equatable {
    /// The scaled levels, ascending.
    public let levels: [Float]

    /// NormalFloat4 (Dettmers et al. 2023, bitsandbytes' table): 16 quantiles of N(0, 1)
    /// normalised to [-1, 1], with an exact zero.
    public static let normalFloat4: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
        -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
        0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
        0.7229568362236023, 1.0,
    ]

    /// The unit levels of `grid` at `bits`: nf4's table, or for pow2 zero and ±2^-k,
    /// k = 0 … 2^(b-1) - 2 (2^b - 1 levels: one code is left unused so zero is exact).
    public static func unitLevels(_ grid: WeightGrid, bits: Int) -> [Float] {
        switch grid {
        case .uniform: return []
        case .nf4: return normalFloat4
        case .pow2:
            let magnitudes = (0...max(0, (1 << (bits - 1)) - 2)).map { Float(sign: .plus, exponent: -$0, significand: 1) }
            return magnitudes.map { -$0 } + [0] + magnitudes.reversed()
        }
    }

    /// Levels for a block whose largest surviving magnitude is `absmax` (1 when it is 0, like the uniform grids).
    public init(unit: [Float], absmax: Float) {
        let scale = absmax > 0 ? absmax : 1
        levels = unit.map { $0 * scale }
    }

    @inline(__always)
    public func apply(_ w: Float) -> Float {
        // Binary search for the first level ≥ w; the nearest is it or the one before.
        var low = 0, high = levels.count
        while low < high {
            let mid = (low + high) / 2
            if levels[mid] < w { low = mid + 1 } else { high = mid }
        }
        if low == 0 { return levels[0] }
        if low == levels.count { return levels[levels.count - 1] }
        let below = levels[low - 1], above = levels[low]
        return abs(w - above) < abs(w - below) ? above : below
    }
}

/// How one block (an output channel, or the whole tensor) of surviving weights is rounded:
/// the grid a block's settings choose, fixed before any weight of the block is rounded.
public enum BlockQuantizer: Sendable, Equatable {
    case uniform(QuantizationGrid)
    /// 1-bit symmetric: sign(w)·mean|w| (sign(0) = +).
    case sign(magnitude: Float)
    case levels(LevelGrid)

    @inline(__always)
    public func apply(_ w: Float) -> Float {
        switch self {
        case .uniform(let grid): return grid.apply(w)
        case .sign(let magnitude): return w < 0 ? -magnitude : magnitude
        case .levels(let grid): return grid.apply(w)
        }
    }
}
