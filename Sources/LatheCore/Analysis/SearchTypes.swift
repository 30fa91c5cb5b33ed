/// What the automatic search must satisfy.
public enum SearchConstraint: Sendable, Equatable {
    /// Smallest size whose metric is at least the fp32 baseline minus this (a fraction: 0.01 = 1 point):
    /// top-1, agreement, cosine.
    case maxDrop(Double)
    /// Smallest size whose SQNR against the uncompressed output is at least this many dB.
    case minSQNR(Double)
    /// Smallest size whose error (mse, mae) is at most the baseline's times 1 + this.
    case maxIncrease(Double)
    /// Best metric with size at most baseline bytes / ratio.
    case targetRatio(Double)
    /// Best metric with size at most this many bytes.
    case targetSize(Int)
    /// No single answer: the Pareto front only (`lathe search --pareto` without a budget).
    case frontOnly

    /// The size budget in bytes, for the size-constrained forms.
    func budget(baselineBytes: Int) -> Int? {
        switch self {
        case .maxDrop, .minSQNR, .maxIncrease, .frontOnly: return nil
        case .targetRatio(let ratio): return Int((Double(baselineBytes) / ratio).rounded(.down))
        case .targetSize(let bytes): return bytes
        }
    }

    /// Whether a measured `value` of `metric` meets this quality constraint (size constraints: always).
    public func accepts(_ value: Double, metric: ScoreMetric, baseline: Double) -> Bool {
        switch self {
        case .maxDrop(let drop): return value >= baseline - drop - 1e-12
        case .minSQNR(let db): return value >= db
        case .maxIncrease(let ratio): return value <= baseline * (1 + ratio) + 1e-12 * abs(baseline)
        case .targetRatio, .targetSize, .frontOnly: return true
        }
    }

    /// The allowed degradation on `ScoreMetric.degradation`'s scale, for the search's predictions.
    func allowedDegradation(metric: ScoreMetric, baseline: Double) -> Double {
        switch self {
        case .maxDrop(let drop): return drop
        case .minSQNR(let db): return metric.degradation(baseline: baseline, value: db)
        case .maxIncrease(let ratio): return ratio
        case .targetRatio, .targetSize, .frontOnly: return .infinity
        }
    }

    /// Refuses a quality constraint that does not fit the metric (`--max-drop` on an SQNR, …).
    func check(metric: ScoreMetric) throws {
        let needed: ScoreMetric.Loss
        let flag: String
        switch self {
        case .maxDrop: (needed, flag) = (.points, "--max-drop")
        case .minSQNR: (needed, flag) = (.decibels, "--min-sqnr")
        case .maxIncrease: (needed, flag) = (.relative, "--max-increase")
        case .targetRatio, .targetSize, .frontOnly: return
        }
        guard metric.loss != needed else { return }
        let fitting: String
        switch metric.loss {
        case .points: fitting = "--max-drop (points)"
        case .decibels: fitting = "--min-sqnr (dB)"
        case .relative: fitting = "--max-increase (relative)"
        }
        throw LatheError.badInput("\(flag) does not apply to the metric \(metric.rawValue); use \(fitting), "
            + "or choose another metric with --metric")
    }

    public var description: String {
        switch self {
        case .maxDrop(let drop): return "max drop \(drop)"
        case .minSQNR(let db): return "min SQNR \(db) dB"
        case .maxIncrease(let ratio): return "max increase \(ratio)"
        case .targetRatio(let ratio): return "target ratio \(ratio)"
        case .targetSize(let bytes): return "target size \(bytes) bytes"
        case .frontOnly: return "the Pareto front"
        }
    }
}

/// A search's inputs: the constraint, the candidate levels per layer, and the
/// sweep that seeds it (identified as for `lathe sensitivity`, sharing its disk cache).
public struct SearchRequest: Sendable {
    public var constraint: SearchConstraint
    /// Candidate bit-widths per layer (symmetric, per-channel).
    public var bits: [Int]
    /// Candidate unstructured pruning ratios besides 0.
    public var prune: [Double]
    /// Candidate rounding methods: GPTQ adds each integer bit-width below 8 rounded by GPTQ.
    public var methods: [RoundingMethod]
    /// Cap on real evaluations after the sweep (the baseline and the start plan included).
    public var maxEvaluations: Int
    public var model: String
    public var modelHash: String
    public var data: String?
    public var dataHash: String?
    public var cache: SensitivityCache?

    public init(constraint: SearchConstraint, bits: [Int] = [2, 3, 4, 5, 6, 8], prune: [Double] = [],
                methods: [RoundingMethod] = [.rtn, .gptq], maxEvaluations: Int = 40, model: String,
                modelHash: String, data: String? = nil, dataHash: String? = nil, cache: SensitivityCache? = nil) {
        self.constraint = constraint
        self.bits = bits
        self.prune = prune
        self.methods = methods
        self.maxEvaluations = maxEvaluations
        self.model = model
        self.modelHash = modelHash
        self.data = data
        self.dataHash = dataHash
        self.cache = cache
    }

    public func validate() throws {
        guard !bits.isEmpty else { throw LatheError.badInput("--bits needs at least one bit-width") }
        for b in bits where !(1...16).contains(b) && b != 32 {
            throw LatheError.badInput("--bits: \(b) is out of range (1–16, or 32 for float)")
        }
        for p in prune where !(p > 0 && p < 1) {
            throw LatheError.badInput("--prune: \(p) is out of range (0 < p < 1)")
        }
        guard methods.contains(.rtn) else {
            throw LatheError.badInput("--methods must include rtn (every bit-width is a candidate with round-to-nearest)")
        }
        switch constraint {
        case .maxDrop(let drop):
            guard drop >= 0, drop < 1 else { throw LatheError.badInput("--max-drop: \(drop) must be in [0, 1)") }
        case .minSQNR(let db):
            guard db.isFinite else { throw LatheError.badInput("--min-sqnr: \(db) must be a finite number of dB") }
        case .maxIncrease(let ratio):
            guard ratio >= 0, ratio.isFinite else { throw LatheError.badInput("--max-increase: \(ratio) must be ≥ 0") }
        case .targetRatio(let ratio):
            guard ratio >= 1, ratio.isFinite else { throw LatheError.badInput("--target-ratio: \(ratio) must be ≥ 1") }
        case .targetSize(let bytes):
            guard bytes > 0 else { throw LatheError.badInput("--target-size: \(bytes) must be positive") }
        case .frontOnly:
            break
        }
        guard maxEvaluations >= 2 else { throw LatheError.badInput("the search needs at least 2 evaluations") }
    }
}

/// A plan the search evaluated.
public struct SearchPoint: Sendable, Equatable {
    public var sizeBytes: Int
    /// Measured metric (the session's `ScoreMetric`).
    public var value: Double
    /// How the search came to it: "fp32", "uniform int8", "knapsack ≤ 12000 B", "… + conv1.weight bits 3".
    public var label: String
    public var plan: CompressionPlan
    /// The metric on every evaluation set, in order (`value` is the first).
    public var setValues: [Double] = []

    public init(sizeBytes: Int, value: Double, label: String, plan: CompressionPlan, setValues: [Double] = []) {
        self.sizeBytes = sizeBytes
        self.value = value
        self.label = label
        self.plan = plan
        self.setValues = setValues
    }
}

/// The search's answer.
public struct SearchOutcome: Sendable, Equatable {
    public var plan: CompressionPlan
    public var sizeBytes: Int
    public var baselineBytes: Int
    /// Size of the same model with every layer at 8 bits (symmetric, per-channel).
    public var int8Bytes: Int
    public var metric: ScoreMetric
    public var value: Double
    public var baselineValue: Double
    /// Whether the plan meets the constraint (measured).
    public var satisfied: Bool
    public var constraint: SearchConstraint
    public var visited: [SearchPoint]
    /// Real evaluations run (the sweep's not counted).
    public var evaluations: Int
    /// The chosen plan's metric and the uncompressed model's on every evaluation set, in order
    /// (`value` and `baselineValue` are the first set's).
    public var sets: [SetResult] = []

    public struct SetResult: Sendable, Equatable {
        public var name: String
        public var value: Double
        public var baselineValue: Double
    }

    public var compressionRatio: Double { sizeBytes > 0 ? Double(baselineBytes) / Double(sizeBytes) : 1 }

    /// Visited points no other beats on both size (smaller) and metric (better), by size: sizes
    /// strictly increasing, the metric strictly better at each step.
    public var paretoFront: [SearchPoint] { Self.front(of: visited, metric: metric) }

    static func front(of points: [SearchPoint], metric: ScoreMetric) -> [SearchPoint] {
        let sign = metric.higherIsBetter ? -1.0 : 1.0
        let sorted = points.sorted { ($0.sizeBytes, sign * $0.value) < ($1.sizeBytes, sign * $1.value) }
        var front: [SearchPoint] = []
        for point in sorted where front.last.map({ metric.isBetter(point.value, than: $0.value) }) ?? true {
            front.append(point)
        }
        return front
    }
}
