import LatheCore

/// The heatmap's words for LatheCore's sweep levels.
extension SensitivityLevel {
    /// Short column heading ("b4", "p50", "k16").
    public var shortLabel: String {
        switch self {
        case .bits(let b): return "b\(b)"
        case .prune(let p): return "p\(Int((p * 100).rounded()))"
        case .clusters(let k): return "k\(k)"
        }
    }

    /// Spelled out ("4 bits", "prune 50%", "16 clusters").
    public var label: String {
        switch self {
        case .bits(let b): return "\(b) bit" + (b == 1 ? "" : "s")
        case .prune(let p): return "prune \(Int((p * 100).rounded()))%"
        case .clusters(let k): return "\(k) clusters"
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
        /// `value` minus the baseline (negative: the layer loses accuracy there).
        public var change: Double
        public init(value: Double, change: Double) {
            self.value = value
            self.change = change
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

    /// The baseline metric the changes are measured from.
    public var baseline: Double?
    /// Heatmap columns, in sweep order.
    public var levels: [SensitivityLevel]
    public var layers: [String: Layer]
    /// Whether every layer has every level.
    public var isComplete: Bool

    public init(baseline: Double?, levels: [SensitivityLevel], layers: [String: Layer], isComplete: Bool) {
        self.baseline = baseline
        self.levels = levels
        self.layers = layers
        self.isComplete = isComplete
    }

    /// The largest score among layers (scales the mini-bars); nil before any.
    public var maxScore: Double? { layers.values.compactMap(\.score).max() }

    /// The largest drop in any cell (scales the heat colours), at least a tiny positive number.
    public var maxDrop: Double {
        max(1e-9, layers.values.flatMap { $0.cells.values.map { -$0.change } }.max() ?? 0)
    }
}

extension SensitivityData {
    /// LatheCore's sweep report: each level's metric and its change from the baseline;
    /// complete when every one of `layers` has every level.
    public init(_ report: SensitivityReport, layers: [String]) {
        let levels = report.baseline.levels
        let baseline = report.baseline.value
        var result: [String: Layer] = [:]
        for layer in report.layers {
            var cells: [SensitivityLevel: Cell] = [:]
            func add(_ level: SensitivityLevel, _ value: Double?) {
                guard let value else { return }
                cells[level] = .init(value: value, change: value - (baseline ?? value))
            }
            for b in levels.bits { add(.bits(b), layer.bits[b]) }
            for p in levels.prune { add(.prune(p), layer.prune[p]) }
            for k in levels.clusters { add(.clusters(k), layer.clusters[k]) }
            result[layer.name] = .init(cells: cells, score: layer.score)
        }
        self.init(baseline: baseline, levels: levels.entries, layers: result,
                  isComplete: report.isComplete(for: layers))
    }
}
