
/// Computes a layer's histogram marks with LatheCore's own compression code (the
/// same calls `lathe eval --config` makes), so what the detail pane marks is what
/// the engine applies. Pure but possibly slow (k-means): the effect runner calls
/// it off the UI thread.
public enum LayerAnalyzer {
    /// Grids with more levels than this are described, not listed.
    public static let maxListedLevels = 512

    public static func analyze(weight: Tensor, layer: WeightLayer, settings: LayerSettings) throws -> LayerAnalysis {
        let original = weight.floats.isEmpty ? weight.asFloats : weight.floats
        let compressed = try Compressor.compress(weight, layer: layer, settings: settings).floats
        var analysis = LayerAnalysis(settings: settings)
        guard !original.isEmpty, compressed.count == original.count else { return analysis }

        var zeros = 0
        var squared = 0.0
        var distinct = Set<Float>()
        for i in original.indices {
            if compressed[i] == 0 { zeros += 1 }
            let d = Double(compressed[i]) - Double(original[i])
            squared += d * d
            if distinct.count <= 1 << 16 { distinct.insert(compressed[i]) }
        }
        analysis.compressedSparsity = Double(zeros) / Double(original.count)
        analysis.meanSquaredError = squared / Double(original.count)
        analysis.distinctValues = distinct.count

        // Pruning: the mask LatheCore prunes with; the threshold is the largest |w| removed.
        var keep: [Bool]?
        if settings.isPruned, !settings.isLowRank {
            let mask = Pruner.mask(original, layer: layer, shape: layer.shape, settings: settings)
            keep = mask
            if settings.structure == .unstructured {
                var threshold: Float?
                for i in original.indices where !mask[i] { threshold = max(threshold ?? 0, abs(original[i])) }
                analysis.pruneThreshold = threshold.map(Double.init)
            }
        }

        if settings.isShared {
            // The centroids are the values the sharing put in place of the surviving weights.
            var centroids = Set<Float>()
            for i in original.indices where (keep?[i] ?? true) && original[i] != 0 { centroids.insert(compressed[i]) }
            analysis.centroids = centroids.sorted().map(Double.init)
        } else if case .integer(let bits) = settings.bits, !settings.isLowRank {
            let block = widestBlock(original, keep: keep, layer: layer, settings: settings)
            if bits == 1, settings.scheme == .symmetric {
                // sign(w)·mean|w|: two levels (a whole-number magnitude for an integer kernel's layer).
                var mean = block.isEmpty ? 0 : block.reduce(0.0) { $0 + Double(abs($1)) } / Double(block.count)
                if layer.op.holdsIntegers { mean = Double(Float(mean).rounded(.toNearestOrEven)) }
                analysis.grid = [-mean, mean]
                analysis.gridLevels = 2
                analysis.gridStep = 2 * mean
            } else {
                var grid = UniformQuantizer.chooseGrid(block, bits: bits, settings: settings)
                // The grid the compressor uses: whole-number steps for an integer kernel's layer.
                if layer.op.holdsIntegers { grid = grid.wholeNumberSteps }
                let (levels, values) = enumerate(grid)
                analysis.gridLevels = levels
                analysis.grid = values
                analysis.gridStep = Double(grid.scale)
            }
        }
        return analysis
    }

    /// The surviving weights of the block whose grid is shown: the whole tensor per-tensor,
    /// else the channel with the widest range (its grid spans the histogram's extent).
    static func widestBlock(_ values: [Float], keep: [Bool]?, layer: WeightLayer, settings: LayerSettings) -> [Float] {
        let survivors = { (i: Int) -> Bool in keep?[i] ?? true }
        guard settings.granularity == .perChannel, layer.shape.indices.contains(layer.channelAxis) else {
            return values.indices.filter(survivors).map { values[$0] }
        }
        let channels = layer.shape[layer.channelAxis]
        let inner = layer.shape[(layer.channelAxis + 1)...].reduce(1, *)
        guard channels > 0, inner > 0 else { return [] }
        var lo = [Float](repeating: 0, count: channels), hi = [Float](repeating: 0, count: channels)
        for i in values.indices where survivors(i) {
            let c = (i / inner) % channels
            lo[c] = min(lo[c], values[i])
            hi[c] = max(hi[c], values[i])
        }
        let width: (Int) -> Float = { c in
            settings.scheme == .symmetric ? max(-lo[c], hi[c]) : hi[c] - lo[c]
        }
        let widest = (0..<channels).max { width($0) < width($1) } ?? 0
        return values.indices.filter { survivors($0) && ($0 / inner) % channels == widest }.map { values[$0] }
    }

    /// The number of levels of a grid and their values (empty beyond `maxListedLevels`).
    static func enumerate(_ grid: QuantizationGrid) -> (Int, [Double]) {
        switch grid {
        case let .symmetric(qmax, scale):
            let count = 2 * Int(qmax) + 1
            guard count <= maxListedLevels else { return (count, []) }
            return (count, (-Int(qmax)...Int(qmax)).map { Double(Float($0) * scale) })
        case let .asymmetric(levels, scale, zeroPoint):
            let count = Int(levels) + 1
            guard count <= maxListedLevels else { return (count, []) }
            return (count, (0...Int(levels)).map { Double((Float($0) - zeroPoint) * scale) })
        }
    }
}
