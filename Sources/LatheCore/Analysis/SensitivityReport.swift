import Foundation

/// The compression levels a sensitivity sweep tries on each layer alone.
/// Each level replaces the layer's settings as a config entry would:
/// `bits: b` (symmetric, per-channel, min–max; 32 keeps float),
/// `prune: p` (unstructured, float weights), `clusters: k`, and
/// `bits: b, method: gptq` (GPTQ rounding on the same grid as `bits: b`).
public struct SensitivityLevels: Sendable, Equatable {
    public var bits: [Int]
    public var prune: [Double]
    public var clusters: [Int]
    /// Bit-widths swept with GPTQ rounding (layers GPTQ cannot take are skipped, see `Layer.notApplicable`).
    public var gptq: [Int]

    public init(bits: [Int] = [2, 4, 8], prune: [Double] = [], clusters: [Int] = [], gptq: [Int] = []) {
        self.bits = bits
        self.prune = prune
        self.clusters = clusters
        self.gptq = gptq
    }

    /// Checks every level is one a config file accepts.
    public func validate() throws {
        for b in bits where !(1...16).contains(b) && b != 32 {
            throw LatheError.badInput("bits level \(b) is out of range (1–16, or 32 for float)")
        }
        for p in prune where !(p >= 0 && p < 1) {
            throw LatheError.badInput("prune level \(p) is out of range (0 ≤ p < 1)")
        }
        for k in clusters where !(2...256).contains(k) {
            throw LatheError.badInput("clusters level \(k) is out of range (2–256)")
        }
        for b in gptq where !(1...16).contains(b) {
            throw LatheError.badInput("gptq level \(b) is out of range (1–16 bits)")
        }
    }

    public static func settings(bits: Int) -> LayerSettings {
        LayerSettings(bits: bits == 32 ? .float32 : .integer(bits))
    }

    public static func settings(prune: Double) -> LayerSettings { LayerSettings(prune: prune) }

    public static func settings(clusters: Int) -> LayerSettings { LayerSettings(clusters: clusters) }

    public static func settings(gptq bits: Int) -> LayerSettings { LayerSettings(bits: .integer(bits), method: .gptq) }

    /// Every level in sweep order.
    public var entries: [SensitivityLevel] {
        bits.map { .bits($0) } + prune.map { .prune($0) } + clusters.map { .clusters($0) } + gptq.map { .gptq($0) }
    }

    var isEmpty: Bool { bits.isEmpty && prune.isEmpty && clusters.isEmpty && gptq.isEmpty }
}

/// One level of one family (a column of the explorer's heatmap).
public enum SensitivityLevel: Hashable, Sendable {
    case bits(Int)
    case prune(Double)
    case clusters(Int)
    /// `bits` with GPTQ rounding.
    case gptq(Int)

    /// The settings the sweep gives the layer at this level (a whole config entry).
    public var settings: LayerSettings {
        switch self {
        case .bits(let b): return SensitivityLevels.settings(bits: b)
        case .prune(let p): return SensitivityLevels.settings(prune: p)
        case .clusters(let k): return SensitivityLevels.settings(clusters: k)
        case .gptq(let b): return SensitivityLevels.settings(gptq: b)
        }
    }

    /// The job phase's words for this level ("bits 4").
    var phaseLabel: String {
        switch self {
        case .bits(let b): return "bits \(b)"
        case .prune(let p): return "prune \(SensitivityReport.key(p))"
        case .clusters(let k): return "clusters \(k)"
        case .gptq(let b): return "gptq \(b)"
        }
    }
}

/// Per-layer sensitivity: the metric with only that layer compressed at each
/// level (every other layer at the base plan), the data-free SQNR per
/// bit-width, and a one-number score.
///
/// Score (larger = more sensitive): with data, the mean over the swept
/// families (bits, prune, clusters) of the metric's degradation from the
/// baseline (`ScoreMetric.degradation`) at that family's most aggressive level
/// (fewest bits, highest prune ratio, fewest clusters); a level stopped early (`Partial`) counts with its value on
/// the samples it ran, which loses at least the stop loss like the whole set would. Data-free, the relative
/// quantization noise power at the fewest bits swept, `10^(-SQNR/10)` (noise energy / weight energy).
public struct SensitivityReport: Sendable, Equatable {
    public struct Baseline: Sendable, Equatable {
        /// nil when data-free.
        public var metric: ScoreMetric?
        /// The base plan's metric (fp32 unless a base plan was given).
        public var value: Double?
        public var samples: Int
        public var model: String
        public var modelHash: String
        public var data: String?
        public var dataHash: String?
        /// Hash of everything else the numbers depend on (levels, base plan, batch size, output).
        public var method: String
        public var levels: SensitivityLevels
        /// Every layer of the model in graph order (shards list all of them, for merging).
        public var layerOrder: [String]
        /// "i/n" for a shard's partial result.
        public var shard: String?
        /// The loss past which a level's pass stopped early (`SensitivityRequest.stopLoss`); nil: every entry ran on
        /// every sample.
        public var stopLoss: Double?

        public init(metric: ScoreMetric?, value: Double?, samples: Int, model: String, modelHash: String,
                    data: String?, dataHash: String?, method: String, levels: SensitivityLevels,
                    layerOrder: [String], shard: String? = nil, stopLoss: Double? = nil) {
            self.stopLoss = stopLoss
            self.metric = metric
            self.value = value
            self.samples = samples
            self.model = model
            self.modelHash = modelHash
            self.data = data
            self.dataHash = dataHash
            self.method = method
            self.levels = levels
            self.layerOrder = layerOrder
            self.shard = shard
        }
    }

    /// An entry whose pass stopped once it certainly lost `Baseline.stopLoss`: its value is the metric on the first
    /// `samples` samples in the sweep's order (the least certain first, `MarginStop`, for argmax metrics; else
    /// `EvaluationSchedule`'s, classes interleaved),
    /// and `bound` the best the whole set could still have reached (the most a full pass could
    /// give for top-1, agreement, cosine and SQNR; the least for mse and mae).
    public struct Partial: Sendable, Equatable {
        public var samples: Int
        public var bound: Double

        public init(samples: Int, bound: Double) {
            self.samples = samples
            self.bound = bound
        }
    }

    public struct Layer: Sendable, Equatable {
        public var name: String
        public var bits: [Int: Double] = [:]
        public var prune: [Double: Double] = [:]
        public var clusters: [Int: Double] = [:]
        public var gptq: [Int: Double] = [:]
        /// Levels that cannot apply to this layer (GPTQ on a layer without calibration inputs); set by the
        /// sweep from the layer, not stored.
        public var notApplicable: Set<SensitivityLevel> = []
        /// Data-free: SQNR in dB of symmetric per-channel quantization per bit-width (+inf when exact).
        public var sqnrDB: [Int: Double] = [:]
        /// Levels whose pass stopped early (see `Partial`); the others ran on every sample.
        public var partial: [SensitivityLevel: Partial] = [:]
        /// Levels whose pass stopped once every sample left kept its prediction (`MarginStop`): the samples run.
        /// Their values count the samples left as the uncompressed model scores them.
        public var settledByMargin: [SensitivityLevel: Int] = [:]
        public var score: Double?

        public init(name: String) { self.name = name }

        public func value(at level: SensitivityLevel) -> Double? {
            switch level {
            case .bits(let b): return bits[b]
            case .prune(let p): return prune[p]
            case .clusters(let k): return clusters[k]
            case .gptq(let b): return gptq[b]
            }
        }

        mutating func set(_ value: Double, at level: SensitivityLevel) {
            switch level {
            case .bits(let b): bits[b] = value
            case .prune(let p): prune[p] = value
            case .clusters(let k): clusters[k] = value
            case .gptq(let b): gptq[b] = value
            }
        }

        /// Whether every level of `levels` (and SQNR of every bit-width) is known.
        func isComplete(_ levels: SensitivityLevels, dataFree: Bool) -> Bool {
            let sqnrDone = levels.bits.allSatisfy { sqnrDB[$0] != nil }
            return sqnrDone
                && (dataFree || levels.entries.allSatisfy { value(at: $0) != nil || notApplicable.contains($0) })
        }

        /// Fills levels missing here from `other`.
        mutating func fill(from other: Layer) {
            for (level, partial) in other.partial where value(at: level) == nil { self.partial[level] = partial }
            for (level, samples) in other.settledByMargin where value(at: level) == nil {
                settledByMargin[level] = samples
            }
            bits.merge(other.bits) { mine, _ in mine }
            prune.merge(other.prune) { mine, _ in mine }
            clusters.merge(other.clusters) { mine, _ in mine }
            gptq.merge(other.gptq) { mine, _ in mine }
            sqnrDB.merge(other.sqnrDB) { mine, _ in mine }
        }
    }

    public var baseline: Baseline
    /// Layers in graph order (a shard's subset, or all).
    public var layers: [Layer]

    public init(baseline: Baseline, layers: [Layer]) {
        self.baseline = baseline
        self.layers = layers
    }

    public func layer(named name: String) -> Layer? { layers.first { $0.name == name } }

    /// Whether every layer of `layerOrder` (or of the shard) is complete.
    public func isComplete(for names: [String]) -> Bool {
        let dataFree = baseline.metric == nil
        return names.allSatisfy { name in layer(named: name)?.isComplete(baseline.levels, dataFree: dataFree) == true }
    }

    /// Recomputes every layer's score (see the type's documentation).
    public mutating func updateScores() {
        for index in layers.indices { layers[index].score = score(of: layers[index]) }
    }

    func score(of layer: Layer) -> Double? {
        let levels = baseline.levels
        guard let metric = baseline.metric else {
            guard let fewest = levels.bits.filter({ $0 != 32 }).min(), let db = layer.sqnrDB[fewest] else { return nil }
            return ScoreMetric.noisePower(db)
        }
        // An SQNR baseline is +∞ (stored as null) unless a base plan compresses.
        guard let reference = baseline.value ?? (metric == .sqnr ? .infinity : nil) else { return nil }
        var drops: [Double] = []
        func add(_ value: Double?) {
            if let value { drops.append(metric.degradation(baseline: reference, value: value)) }
        }
        if let b = levels.bits.min() { add(layer.bits[b]) }
        if let p = levels.prune.max() { add(layer.prune[p]) }
        if let k = levels.clusters.min() { add(layer.clusters[k]) }
        if let b = levels.gptq.min() { add(layer.gptq[b]) }
        guard !drops.isEmpty else { return nil }
        return drops.reduce(0, +) / Double(drops.count)
    }

    /// A level as a JSON key: integers plainly, ratios in their shortest form ("0.5").
    public static func key(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }
}
