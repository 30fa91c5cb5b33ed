/// A weight on non-uniform levels (config `grid: nf4 | pow2`) as indices into the grid's unit levels
/// times one scale per block: `value = unitLevels[index] · scale[channel]` in float32, the very product
/// `LevelGrid` forms its levels with, so the stored form gives every compressed value back bit for bit.
///
/// Read off the Compressor's output with the blocks (and their surviving absmax) the quantizer used,
/// never by quantizing again; pruned weights are the index of the exact zero level both grids hold.
struct LevelWeight: Sendable, Equatable {
    var shape: [Int]
    /// Row-major indices into `unitLevels`.
    var indices: [UInt8]
    /// The grid's unit levels in [-1, 1], ascending (nf4's 16, or pow2's 2^b − 1).
    var unitLevels: [Float]
    /// One per channel along `axis` (the block's largest surviving magnitude, 1 when that is 0), or one.
    var scales: [Float]
    var axis: Int?

    /// The float32 values the indices stand for.
    func decoded() -> [Float] {
        let inner = axis.map { shape[($0 + 1)...].reduce(1, *) } ?? 1
        let length = axis.map { shape[$0] } ?? 1
        return indices.indices.map { i in
            unitLevels[Int(indices[i])] * scales[axis == nil ? 0 : (i / inner) % length]
        }
    }

    /// The shape a per-channel scale takes to broadcast against the weight (1 on every other axis).
    var scaleShape: [Int] {
        guard let axis else { return [] }
        return shape.indices.map { $0 == axis ? shape[$0] : 1 }
    }

    /// The level form of `compressed` (what `Compressor.compress` returned for `layer` under `settings`,
    /// a `grid: nf4 | pow2` setting), or the reason there is none.
    static func reading(original: Tensor, compressed: Tensor, layer: WeightLayer,
                        settings: LayerSettings) throws -> (weight: LevelWeight?, problem: String?) {
        guard case .integer(let bits) = settings.bits, settings.grid != .uniform, !settings.isShared else {
            return (nil, "not a level grid")
        }
        let unit = LevelGrid.unitLevels(settings.grid, bits: bits)
        guard unit.count <= 256 else { return (nil, "\(unit.count) levels do not fit uint8 indices") }
        let prepared = try Compressor.prepare(original, layer: layer, settings: settings)
        guard !prepared.encoded else { return (nil, "low-rank factors") }
        let values = compressed.floats
        let perChannel = settings.granularity == .perChannel
        let layout = AxisLayout(shape: layer.shape, axis: perChannel ? layer.channelAxis : 0)
        let blocks = perChannel ? layout.length : 1
        let blockSize = perChannel ? layout.sliceSize : values.count
        var indices = [UInt8](repeating: 0, count: values.count)
        var scales: [Float] = []
        for block in 0..<blocks {
            let members = (0..<blockSize).map { perChannel ? layout.index(slice: block, element: $0) : $0 }
            // The block's largest surviving magnitude, as `UniformQuantizer.blockQuantizer` takes it.
            var absmax: Float = 0
            for i in members where prepared.keep?[i] ?? true { absmax = max(absmax, abs(prepared.values[i])) }
            let grid = LevelGrid(unit: unit, absmax: absmax)
            let scale = absmax > 0 ? absmax : 1
            scales.append(scale)
            for i in members {
                guard let level = grid.levels.firstIndex(of: values[i]), unit[level] * scale == values[i] else {
                    return (nil, "element \(i) (\(values[i])) is not one of its block's levels")
                }
                indices[i] = UInt8(level)
            }
        }
        return (LevelWeight(shape: layer.shape, indices: indices, unitLevels: unit, scales: scales,
                            axis: perChannel ? layer.channelAxis : nil), nil)
    }
}
