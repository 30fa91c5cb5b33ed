/// Integer quantization of weights (DESIGN.md "Standard definitions"), per output
/// channel or per tensor: uniform grids with the range chosen by `RangeMethod`, or
/// the non-uniform `LevelGrid`s.
/// Statistics are taken over the weights that survive pruning (`keep`).
public enum UniformQuantizer {
    /// Clipping ratios tried by `range: mse`: 100 evenly spaced values in [0.5, 1].
    public static let mseCandidates: [Float] = (0..<100).map { Float(0.5 + 0.5 * Double($0) / 99) }

    /// Quantizes row-major `values` of `shape` with integer `settings`; per-channel
    /// scales run along `channelAxis` (the layer's output-channel axis).
    /// - Parameter keep: survivors of pruning (nil: every weight); the others are left untouched.
    /// - Parameter wholeNumbers: the layer feeds an integer kernel (`LayerOp.holdsIntegers`): every grid's
    ///   step is a whole number (`QuantizationGrid.wholeNumberSteps`), 1-bit magnitudes are rounded.
    public static func quantize(_ values: [Float], shape: [Int], channelAxis: Int, settings: LayerSettings,
                                keep: [Bool]? = nil, wholeNumbers: Bool = false) -> [Float] {
        guard case .integer(let bits) = settings.bits else { return values }
        if settings.granularity == .perTensor {
            var result = values
            quantizeBlock(&result, 0..<values.count, keep: keep, bits: bits, settings: settings,
                          wholeNumbers: wholeNumbers)
            return result
        }
        let layout = AxisLayout(shape: shape, axis: channelAxis)
        var block = layout.gather(values)
        let keepBlock = keep.map { layout.gather($0) }
        let size = layout.sliceSize
        for c in 0..<layout.length {
            quantizeBlock(&block, (c * size)..<((c + 1) * size), keep: keepBlock, bits: bits, settings: settings,
                          wholeNumbers: wholeNumbers)
        }
        return layout.scatter(block)
    }

    /// Quantizes one channel (or the whole tensor) in place.
    static func quantizeBlock(_ values: inout [Float], _ range: Range<Int>, keep: [Bool]?, bits: Int,
                              settings: LayerSettings, wholeNumbers: Bool = false) {
        let survivors = range.filter { keep?[$0] ?? true }
        let quantizer = blockQuantizer(survivors.map { values[$0] }, bits: bits, settings: settings,
                                       wholeNumbers: wholeNumbers)
        for i in survivors { values[i] = quantizer.apply(values[i]) }
    }

    /// How a block of surviving weights is rounded under the settings' grid, scheme and range.
    public static func blockQuantizer(_ weights: [Float], bits: Int, settings: LayerSettings,
                                      wholeNumbers: Bool = false) -> BlockQuantizer {
        if settings.grid != .uniform {
            let absmax = weights.reduce(Float(0)) { max($0, abs($1)) }
            return .levels(LevelGrid(unit: LevelGrid.unitLevels(settings.grid, bits: bits), absmax: absmax))
        }
        if bits == 1 && settings.scheme == .symmetric {
            // sign(w)·mean|w|, sign(0) = +.
            return .sign(magnitude: signMagnitude(weights, wholeNumbers: wholeNumbers))
        }
        return .uniform(blockGrid(weights, bits: bits, settings: settings, wholeNumbers: wholeNumbers))
    }

    /// The 1-bit symmetric magnitude `mean|w|` of a block's survivors, accumulated in float64.
    static func signMagnitude(_ survivors: [Float], wholeNumbers: Bool) -> Float {
        var sum = 0.0
        for w in survivors { sum += Double(abs(w)) }
        var mean = survivors.isEmpty ? 0 : Float(sum / Double(survivors.count))
        if wholeNumbers { mean = mean.rounded(.toNearestOrEven) }
        return mean
    }

    /// The grid of one block (b ≥ 2, or asymmetric) of surviving weights.
    static func blockGrid(_ survivors: [Float], bits: Int, settings: LayerSettings, wholeNumbers: Bool) -> QuantizationGrid {
        let grid = chooseGrid(survivors, bits: bits, settings: settings)
        return wholeNumbers ? grid.wholeNumberSteps : grid
    }

    /// The grids `quantize` uses for the same arguments: one per channel along `channelAxis` (per-channel),
    /// or one (per tensor). A 1-bit symmetric block is the grid {−m, +m} with `m = mean|w|`, written as
    /// the symmetric grid of `qmax` 1 and scale m (scale 1 when m is 0). So an exporter reads the integer
    /// codes off the quantized values instead of re-quantizing (see `QuantizedWeight`).
    public static func grids(_ values: [Float], shape: [Int], channelAxis: Int, settings: LayerSettings,
                             keep: [Bool]? = nil, wholeNumbers: Bool = false) -> [QuantizationGrid] {
        // Non-uniform levels have no scale-and-zero-point form.
        guard case .integer(let bits) = settings.bits, settings.grid == .uniform else { return [] }
        func grid(_ block: [Float], _ blockKeep: [Bool]?, _ range: Range<Int>) -> QuantizationGrid {
            let survivors = range.filter { blockKeep?[$0] ?? true }.map { block[$0] }
            if bits == 1 && settings.scheme == .symmetric {
                let mean = signMagnitude(survivors, wholeNumbers: wholeNumbers)
                return .symmetric(qmax: 1, scale: mean > 0 ? mean : 1)
            }
            return blockGrid(survivors, bits: bits, settings: settings, wholeNumbers: wholeNumbers)
        }
        if settings.granularity == .perTensor { return [grid(values, keep, 0..<values.count)] }
        let layout = AxisLayout(shape: shape, axis: channelAxis)
        let block = layout.gather(values)
        let keepBlock = keep.map { layout.gather($0) }
        let size = layout.sliceSize
        return (0..<layout.length).map { c in grid(block, keepBlock, (c * size)..<((c + 1) * size)) }
    }

    /// The grid for one block of surviving weights under the settings' scheme and range method.
    public static func chooseGrid(_ weights: [Float], bits: Int, settings: LayerSettings) -> QuantizationGrid {
        let symmetric = settings.scheme == .symmetric
        switch settings.range {
        case .minmax:
            return minmaxGrid(weights, bits: bits, symmetric: symmetric, ratio: 1)
        case .percentile:
            let q = settings.percentile
            if symmetric {
                return .symmetric(bits: bits, maxMagnitude: percentile(weights.map { abs($0) }, q))
            }
            return .asymmetric(bits: bits, lo: percentile(weights, 100 - q), hi: percentile(weights, q))
        case .mse:
            // Candidates from the largest ratio down; a later candidate must be strictly
            // better, so ties keep the wider range.
            var best = minmaxGrid(weights, bits: bits, symmetric: symmetric, ratio: 1)
            var bestError = squaredError(weights, best)
            for ratio in mseCandidates.reversed().dropFirst() {
                let grid = minmaxGrid(weights, bits: bits, symmetric: symmetric, ratio: ratio)
                let error = squaredError(weights, grid)
                if error < bestError {
                    best = grid
                    bestError = error
                }
            }
            return best
        }
    }

    /// Min–max grid with the range scaled by `ratio` (float32 products, like numpy).
    static func minmaxGrid(_ weights: [Float], bits: Int, symmetric: Bool, ratio: Float) -> QuantizationGrid {
        if symmetric {
            let m = weights.reduce(Float(0)) { max($0, abs($1)) }
            return .symmetric(bits: bits, maxMagnitude: ratio == 1 ? m : m * ratio)
        }
        let lo = weights.min() ?? 0, hi = weights.max() ?? 0
        return ratio == 1 ? .asymmetric(bits: bits, lo: lo, hi: hi)
            : .asymmetric(bits: bits, lo: min(lo, 0) * ratio, hi: max(hi, 0) * ratio)
    }

    /// Sum of squared quantization errors, accumulated in float64 in element order.
    static func squaredError(_ weights: [Float], _ grid: QuantizationGrid) -> Double {
        var sum = 0.0
        for w in weights {
            let d = Double(grid.apply(w)) - Double(w)
            sum += d * d
        }
        return sum
    }

    /// numpy's default ("linear") percentile, computed in float64 and rounded to float32:
    /// with sorted v and h = (n-1)·q/100, `v[⌊h⌋] + (h-⌊h⌋)·(v[⌊h⌋+1] - v[⌊h⌋])`. 0 for no values.
    public static func percentile(_ values: [Float], _ q: Double) -> Float {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let h = Double(sorted.count - 1) * q / 100
        let lower = max(0, min(sorted.count - 1, Int(h.rounded(.down))))
        guard lower + 1 < sorted.count else { return sorted[lower] }
        let a = Double(sorted[lower]), b = Double(sorted[lower + 1])
        return Float(a + (h - Double(lower)) * (b - a))
    }
}
