import LatheCore

/// One column of the sensitivity heatmap: a level a sweep tried on each layer alone.
public enum SensitivityLevel: Hashable, Sendable {
    case bits(Int)
    case prune(Double)
    case clusters(Int)

    /// Short column heading ("b4", "p50", "k16").
    public var shortLabel: String {
        switch self {
        case .bits(let b): return "b\(b)"
        case .prune(let p): return "p\(Int((p * 100).rounded()))"
        case .clusters(let k): return "k\(k)"
        }
    }

    /// The settings the sweep gave the layer at this level (a whole config entry:
    /// `bits: b` symmetric per-channel, `prune: p` unstructured, `clusters: k`).
    public var settings: LayerSettings {
        switch self {
        case .bits(let b): return LayerSettings(bits: b >= 32 ? .float32 : .integer(b))
        case .prune(let p): return LayerSettings(prune: p)
        case .clusters(let k): return LayerSettings(clusters: k)
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

/// Results of a sensitivity sweep as plain data (translated from LatheCore's
/// `SensitivityReport`): for each layer, the metric with only that layer
/// compressed at each level, its change against the baseline, and a score.
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
