import LatheCore

/// The heatmap's words for LatheCore's sweep levels.
extension SensitivityLevel {
    /// Short column heading ("b4", "p50", "k16").
    public var shortLabel: String {
        switch self {
        case .bits(let b): return "b\(b)"
        case .prune(let p): return "p\(Int((p * 100).rounded()))"
        case .clusters(let k): return "k\(k)"
        case .gptq(let b): return "g\(b)"
        }
    }

    /// Spelled out ("4 bits", "prune 50%", "16 clusters").
    public var label: String {
        switch self {
        case .bits(let b): return "\(b) bit" + (b == 1 ? "" : "s")
        case .prune(let p): return "prune \(Int((p * 100).rounded()))%"
        case .clusters(let k): return "\(k) clusters"
        case .gptq(let b): return "\(b) bits GPTQ"
        }
    }
}

/// Results of a sensitivity sweep as the heatmap reads them (translated from
/// LatheCore's `SensitivityReport` by `init(_:layers:)`): for each layer, the
/// metric with only that layer compressed at each level, its change against
/// the baseline, and a score.
public struct SensitivityData: Sendable, Equatable {
    public struct Cell: Sendable, Equatable {
        public var value: Double
        /// How much worse than the baseline (`ScoreMetric.degradation`: 0 = as good, larger = worse).
        public var loss: Double
        /// The samples the level ran on when its pass stopped early (certain to lose at least `stopLoss`, see
        /// LatheCore's `SensitivityReport.Partial`); nil when it ran on every sample.
        public var partialSamples: Int?
        public init(value: Double, loss: Double, partialSamples: Int? = nil) {
            self.value = value
            self.loss = loss
            self.partialSamples = partialSamples
        }
    }

    public struct Layer: Sendable, Equatable {
        /// Per level, in `levels` order; nil where not measured (yet).
        public var cells: [SensitivityLevel: Cell]
        /// One number, larger = more sensitive (LatheCore's score: the mean drop at
        /// each family's most aggressive level).
        public var score: Double?
        public init(cells: [SensitivityLevel: Cell] = [:], score: Double? = nil) {
            self.cells = cells
            self.score = score
        }
    }

    /// The metric the cells hold, and the baseline value losses are measured from.
    public var metric: ScoreMetric
    public var baseline: Double?
    /// The loss past which a level's pass stopped early (nil: none could).
    public var stopLoss: Double?
    /// Heatmap columns, in sweep order.
    public var levels: [SensitivityLevel]
    public var layers: [String: Layer]
    /// Whether every layer has every level.
    public var isComplete: Bool
    /// With several evaluation sets: their names, and each set's own results (`self` is then
    /// the worst over the sets, the heatmap's default view). Empty for one set.
    public var setNames: [String] = []
    public var bySet: [SensitivityData] = []

    public init(metric: ScoreMetric = .top1, baseline: Double?, levels: [SensitivityLevel], layers: [String: Layer],
                isComplete: Bool) {
        self.metric = metric
        self.baseline = baseline
        self.levels = levels
        self.layers = layers
        self.isComplete = isComplete
    }

    /// The largest score among layers (scales the mini-bars); nil before any.
    public var maxScore: Double? { layers.values.compactMap(\.score).max() }

    /// A cell's place on the heat scale, 0 (harmless) to 1 (the worst cell): its
    /// loss over the largest, or for SQNR its dB between the best and worst cells'
    /// (noise power spans orders of magnitude; dB reads as users think of it).
    public func heat(_ cell: Cell) -> Double {
        let cells = layers.values.flatMap(\.cells.values)
        if metric == .sqnr {
            let finite = cells.map(\.value).filter(\.isFinite)
            guard let low = finite.min(), let high = finite.max() else { return 0 }
            guard cell.value.isFinite else { return cell.value > 0 ? 0 : 1 }
            return high > low ? (high - cell.value) / (high - low) : 0
        }
        let worst = max(1e-9, cells.map(\.loss).filter(\.isFinite).max() ?? 0)
        return min(1, max(0, cell.loss) / worst)
    }

    /// Whether a cell loses enough to be flagged: a point of top-1, agreement or
    /// cosine, 10% more error, or an SQNR under 20 dB.
    public func isNoticeable(_ cell: Cell) -> Bool {
        switch metric.loss {
        case .points: return cell.loss > 0.01
        case .relative: return cell.loss > 0.1
        case .decibels: return cell.value < 20
        }
    }

    /// A cell's text in the heatmap: the change in points or relative, the SQNR in dB; a level stopped early shows
    /// "~" and whole units, to fit the cell.
    public func cellText(_ cell: Cell) -> String {
        if cell.partialSamples != nil {
            switch metric.loss {
            case .points: return "~" + String(format: "%+.0f", -cell.loss * 100)
            case .relative: return "~" + String(format: "%+.0f%%", cell.loss * 100)
            case .decibels: return "~" + String(format: "%.0f", cell.value)
            }
        }
        switch metric.loss {
        case .points: return Format.signedPoints(-cell.loss)
        case .relative: return Format.metricChange(cell.loss, metric)
        case .decibels: return cell.value == .infinity ? "∞" : String(format: "%.1f", cell.value)
        }
    }

    /// What the heatmap's cells show, for its title.
    public var cellUnit: String {
        switch metric.loss {
        case .points: return "\(metric.label) change, points"
        case .relative: return "\(metric.label) change, relative"
        case .decibels: return "SQNR, dB"
        }
    }
}

extension SensitivityData {
    /// Several sets' sweeps: the worst over them (LatheCore's `SensitivitySets.worst`), with
    /// each set's own results in `bySet` (those not started yet are empty).
    public init(_ sets: SensitivitySets, layers: [String]) {
        self.init(sets.worst, layers: layers)
        guard sets.names.count > 1 else { return }
        setNames = sets.names
        bySet = sets.names.indices.map { index in
            guard sets.reports.indices.contains(index) else {
                return SensitivityData(metric: metric, baseline: nil, levels: levels, layers: [:], isComplete: false)
            }
            return SensitivityData(sets.reports[index], layers: layers)
        }
    }

    /// The results the heatmap shows for `set` (nil: the worst over the sets).
    public func shown(set: Int?) -> SensitivityData {
        guard let set, bySet.indices.contains(set) else { return self }
        return bySet[set]
    }

    /// The heatmap title's words for `set`: "worst of clean, shifted" or "set shifted"; empty for one set.
    public func viewName(set: Int?) -> String {
        guard !setNames.isEmpty else { return "" }
        guard let set, setNames.indices.contains(set) else { return "worst of " + setNames.joined(separator: ", ") }
        return "set " + setNames[set]
    }

    /// LatheCore's sweep report: each level's metric and its change from the baseline;
    /// complete when every one of `layers` has every level.
    public init(_ report: SensitivityReport, layers: [String]) {
        let levels = report.baseline.levels
        let metric = report.baseline.metric ?? .top1
        // An SQNR baseline is +∞ (a report read back from JSON holds null).
        let baseline = report.baseline.value ?? (metric == .sqnr ? .infinity : nil)
        var result: [String: Layer] = [:]
        for layer in report.layers {
            var cells: [SensitivityLevel: Cell] = [:]
            func add(_ level: SensitivityLevel, _ value: Double?) {
                guard let value else { return }
                cells[level] = .init(value: value, loss: metric.degradation(baseline: baseline ?? value, value: value),
                                     partialSamples: layer.partial[level]?.samples)
            }
            for b in levels.bits { add(.bits(b), layer.bits[b]) }
            for p in levels.prune { add(.prune(p), layer.prune[p]) }
            for k in levels.clusters { add(.clusters(k), layer.clusters[k]) }
            for b in levels.gptq { add(.gptq(b), layer.gptq[b]) }
            result[layer.name] = .init(cells: cells, score: layer.score)
        }
        self.init(metric: metric, baseline: baseline, levels: levels.entries, layers: result,
                  isComplete: report.isComplete(for: layers))
        stopLoss = report.baseline.stopLoss
    }
}
