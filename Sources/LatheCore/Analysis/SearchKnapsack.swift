/// The search's model of the size/metric trade-off, and its solver.
///
/// Each layer has candidate settings (bits × rounding method × pruning ratio)
/// with an exact size (`SizeModel`) and a predicted degradation: the sweep's
/// measurement of that layer alone at that candidate, a candidate that both
/// quantizes and prunes predicted as the sum of its two measurements. For a
/// byte budget, the plan minimising the summed predicted degradation is a
/// multiple-choice knapsack (HAWQ-V3's integer program), solved exactly by
/// dynamic programming over sizes counted in `unit`-byte steps. A candidate's
/// size is rounded up to whole steps, so a solution's exact size never
/// exceeds its budget. The sum is only a prediction (layers interact): the
/// search measures every plan it keeps.
struct SearchKnapsack {
    struct Option: Equatable {
        var settings: LayerSettings
        var bytes: Int
        /// Predicted degradation (`ScoreMetric.degradation`'s scale).
        var drop: Double
    }

    /// A candidate the sweep did not measure is predicted to lose everything (finite, so sums stay numbers).
    static let unmeasured = 1e12

    let layers: [WeightLayer]
    /// Per layer (same order), the candidates left once dominated ones (larger and no better) are dropped.
    let options: [[Option]]
    /// Model bytes outside the layers' weights (biases, other tensors).
    let fixedBytes: Int
    let unit: Int
    private let capacity: Int
    /// `choices[i][c]`: the option of layer i in the best plan of layers 0…i within c steps (-1: none fits).
    private let choices: [[Int32]]
    /// Best summed predicted drop of all layers within c steps (infinity: nothing fits).
    private let bestDrop: [Double]

    /// Sizes of the smallest and the largest plan the candidates allow.
    var smallestBytes: Int { fixedBytes + options.reduce(0) { $0 + ($1.map(\.bytes).min() ?? 0) } }
    var largestBytes: Int { fixedBytes + options.reduce(0) { $0 + ($1.map(\.bytes).max() ?? 0) } }

    /// - Parameters:
    ///   - candidates: per layer, every candidate with its size and predicted drop.
    ///   - resolution: size steps over the largest plan (the DP's width).
    init(layers: [WeightLayer], candidates: [[Option]], fixedBytes: Int, resolution: Int = 4096) {
        self.layers = layers
        self.fixedBytes = fixedBytes
        let kept = candidates.map(Self.undominated)
        options = kept
        let largest = kept.reduce(0) { $0 + ($1.map(\.bytes).max() ?? 0) }
        let step = max(1, (largest + resolution - 1) / max(1, resolution))
        unit = step
        let weights = kept.map { $0.map { ($0.bytes + step - 1) / step } }
        let capacity = weights.reduce(0) { $0 + ($1.max() ?? 0) }
        self.capacity = capacity
        var previous = [Double](repeating: 0, count: capacity + 1)
        var table: [[Int32]] = []
        table.reserveCapacity(kept.count)
        for (layerOptions, layerWeights) in zip(kept, weights) {
            var current = [Double](repeating: .infinity, count: capacity + 1)
            var choice = [Int32](repeating: -1, count: capacity + 1)
            for c in 0...capacity {
                for (k, option) in layerOptions.enumerated() where layerWeights[k] <= c {
                    let total = previous[c - layerWeights[k]] + option.drop
                    if total < current[c] {
                        current[c] = total
                        choice[c] = Int32(k)
                    }
                }
            }
            table.append(choice)
            previous = current
        }
        choices = table
        bestDrop = previous
    }

    /// The plan predicted best within `budget` bytes of the whole model (nil: no plan is that small).
    func settings(within budget: Int) -> [String: LayerSettings]? {
        var c = min(capacity, (budget - fixedBytes) / unit)
        guard budget >= fixedBytes, c >= 0, bestDrop[c].isFinite else { return nil }
        var result: [String: LayerSettings] = [:]
        for index in layers.indices.reversed() {
            let k = Int(choices[index][c])
            guard k >= 0 else { return nil }
            let option = options[index][k]
            result[layers[index].name] = option.settings
            c -= (option.bytes + unit - 1) / unit
        }
        return result
    }

    /// The predicted drop of the plan `settings(within: budget)` gives.
    func predictedDrop(within budget: Int) -> Double? {
        let c = min(capacity, (budget - fixedBytes) / unit)
        guard budget >= fixedBytes, c >= 0, bestDrop[c].isFinite else { return nil }
        return bestDrop[c]
    }

    /// Single-layer moves from `settings` to a smaller candidate of that layer, cheapest predicted
    /// drop per byte saved first (the repair step's order).
    func shrinkingMoves(from settings: [String: LayerSettings]) -> [(layer: String, to: Option)] {
        var moves: [(layer: String, to: Option, slope: Double)] = []
        for (layer, layerOptions) in zip(layers, options) {
            guard let current = layerOptions.first(where: { $0.settings == settings[layer.name] }) else { continue }
            let smaller = layerOptions.filter { $0.bytes < current.bytes }
            guard let next = smaller.min(by: {
                ($0.drop - current.drop) / Double(current.bytes - $0.bytes)
                    < ($1.drop - current.drop) / Double(current.bytes - $1.bytes)
            }) else { continue }
            moves.append((layer.name, next, (next.drop - current.drop) / Double(current.bytes - next.bytes)))
        }
        return moves.sorted { $0.slope < $1.slope }.map { ($0.layer, $0.to) }
    }

    /// Candidates no other one beats: the smallest first, each later one strictly more accurate.
    static func undominated(_ options: [Option]) -> [Option] {
        var kept: [Option] = []
        for option in options.sorted(by: { ($0.bytes, $0.drop) < ($1.bytes, $1.drop) })
        where kept.last.map({ option.drop < $0.drop }) ?? true {
            kept.append(option)
        }
        return kept
    }
}
