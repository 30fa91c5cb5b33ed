/// The greedy compression path of the search: from every layer at its most
/// accurate candidate, a sequence of single-layer moves, cheapest predicted
/// metric loss per byte saved first.
///
/// Each layer's candidates are (bits, prune) pairs with an exact size (size
/// model) and a predicted drop taken from the sweep, assuming the drops of a
/// layer's quantization and pruning add up (and layers' drops add up). A
/// layer's moves follow the lower convex hull of its (size, drop) points, so
/// their slopes rise; merging all layers' moves by slope gives the path (the
/// greedy solution of the knapsack relaxation).
struct SearchPath {
    struct Option: Equatable {
        var settings: LayerSettings
        var bytes: Int
        var drop: Double
    }

    struct Move: Equatable {
        var layer: String
        var from: Option
        var to: Option
        /// Predicted drop per byte saved.
        var slope: Double

        var label: String { "\(layer) \(SearchPath.describe(to.settings))" }
    }

    /// Starting option per layer, in graph order.
    let start: [(layer: String, option: Option)]
    let moves: [Move]

    init(layers: [WeightLayer], weights: [String: Tensor], sensitivity: SensitivityReport, bits: [Int],
         prune: [Double]) {
        let metric = sensitivity.baseline.metric ?? .top1
        let reference = sensitivity.baseline.value ?? (metric == .sqnr ? .infinity : 0)
        var hulls: [(layer: String, start: Option, moves: [Move])] = []
        for layer in layers {
            let dtype = weights[layer.name]?.dtype ?? .float32
            let entry = sensitivity.layer(named: layer.name)
            func drop(_ value: Double?) -> Double {
                // An option the sweep did not measure is predicted to lose everything (finite, so
                // differences of predictions stay numbers).
                guard let value, !value.isNaN else { return 1e12 }
                return min(1e12, max(0, metric.degradation(baseline: reference, value: value)))
            }
            var options: [Option] = []
            for b in Set(bits).sorted() {
                for p in [0] + Set(prune).sorted() {
                    let settings = LayerSettings(bits: b == 32 ? .float32 : .integer(b), prune: p)
                    let bytes = SizeModel.tensorSize(layer: layer, dtype: dtype, settings: settings).size.total
                    let predicted = (b == 32 ? 0 : drop(entry?.bits[b])) + (p == 0 ? 0 : drop(entry?.prune[p]))
                    options.append(Option(settings: settings, bytes: bytes, drop: predicted))
                }
            }
            // Start: the smallest predicted drop, then the largest size (most accurate, nothing assumed).
            guard let first = options.min(by: { ($0.drop, -$0.bytes) < ($1.drop, -$1.bytes) }) else { continue }
            var current = first
            var moves: [Move] = []
            while true {
                let smaller = options.filter { $0.bytes < current.bytes }
                guard let next = smaller.min(by: { a, b in
                    let sa = Self.slope(from: current, to: a), sb = Self.slope(from: current, to: b)
                    return sa != sb ? sa < sb : a.bytes < b.bytes
                }) else { break }
                moves.append(Move(layer: layer.name, from: current, to: next, slope: Self.slope(from: current, to: next)))
                current = next
            }
            hulls.append((layer.name, first, moves))
        }
        start = hulls.map { ($0.layer, $0.start) }
        // Merge: always take the layer whose next move is cheapest (ties: graph order).
        var cursors = [Int](repeating: 0, count: hulls.count)
        var merged: [Move] = []
        while true {
            var best: (index: Int, slope: Double)?
            for (index, hull) in hulls.enumerated() where cursors[index] < hull.moves.count {
                let slope = hull.moves[cursors[index]].slope
                if let current = best, current.slope <= slope { continue }
                best = (index, slope)
            }
            guard let chosen = best else { break }
            merged.append(hulls[chosen.index].moves[cursors[chosen.index]])
            cursors[chosen.index] += 1
        }
        moves = merged
    }

    static func slope(from a: Option, to b: Option) -> Double {
        Double(b.drop - a.drop) / Double(max(1, a.bytes - b.bytes))
    }

    /// The plan after the first `count` moves (and any extra moves given).
    func plan(layers: [WeightLayer], after count: Int, extra: [Move] = []) -> CompressionPlan {
        var settings: [String: LayerSettings] = [:]
        for (layer, option) in start { settings[layer] = option.settings }
        for move in moves.prefix(count) + extra { settings[move.layer] = move.to.settings }
        return CompressionPlan(layers: layers, settings: settings)
    }

    /// Predicted total drop after the first `count` moves.
    func predictedDrop(after count: Int) -> Double {
        start.reduce(0) { $0 + $1.option.drop } + moves.prefix(count).reduce(0) { $0 + ($1.to.drop - $1.from.drop) }
    }

    static func describe(_ settings: LayerSettings) -> String {
        var parts = ["bits \(settings.bits.configValue)"]
        if settings.prune > 0 { parts.append("prune \(SensitivityReport.key(settings.prune))") }
        return parts.joined(separator: " ")
    }
}
