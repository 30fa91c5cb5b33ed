/// What a live session knows about the latest applied plan, as one value for
/// the UI: size at once, then the metric streaming batch by batch, then final.
public struct LiveSnapshot: Sendable, Equatable {
    /// The generation `apply` returned for the plan these numbers describe.
    public var generation: Int
    /// The caller's tag for that plan, as given to `apply`; nil for generation 0,
    /// which the session started itself, and for untagged plans.
    public var tag: Int?

    /// Deployed size of the plan, of the uncompressed model, and their ratio (baseline / size).
    public var sizeBytes: Int
    public var baselineBytes: Int
    public var compressionRatio: Double
    /// Bit operations per sample under the plan (MACs × weight bits × activation bits).
    public var bops: Int
    /// The plan's per-layer size breakdown.
    public var size: SizeReport?

    public var metric: ScoreMetric
    /// The running metric over the samples done so far (nil before the first batch).
    public var value: Double?
    /// 95% Wilson interval of `value` (proportion metrics: top-1, agreement; nil for the others).
    public var interval: ClosedRange<Double>?
    public var samplesDone: Int
    public var samplesTotal: Int
    /// Whether every sample is done and `value` is the plan's final number.
    public var isFinal: Bool
    /// The uncompressed model's metric on all samples (nil until known).
    public var baselineValue: Double?
    /// The uncompressed model's metric on the same samples as `value`: the
    /// difference `value - baselineOnDone` estimates the final change early.
    public var baselineOnDone: Double?
    /// Why the plan cannot be evaluated (invalid settings, a failing kernel).
    public var error: String?
    /// The background job, if one runs or has run.
    public var job: JobProgress?
    /// Every evaluation set's numbers, in the order given. The top-level metric
    /// fields describe the first set; `samplesDone` and `samplesTotal` count all
    /// sets, and `isFinal` says every set is done.
    public var sets: [SetScore] = []

    public init(generation: Int, tag: Int? = nil, sizeBytes: Int, baselineBytes: Int, bops: Int, size: SizeReport? = nil,
                metric: ScoreMetric, samplesTotal: Int) {
        self.generation = generation
        self.tag = tag
        self.sizeBytes = sizeBytes
        self.baselineBytes = baselineBytes
        self.compressionRatio = sizeBytes > 0 ? Double(baselineBytes) / Double(sizeBytes) : 1
        self.bops = bops
        self.size = size
        self.metric = metric
        self.value = nil
        self.interval = nil
        self.samplesDone = 0
        self.samplesTotal = samplesTotal
        self.isFinal = false
        self.baselineValue = nil
        self.baselineOnDone = nil
        self.error = nil
        self.job = nil
    }

    /// Whether the metric has a value yet.
    public var hasMetric: Bool { value != nil }

    /// With several sets, the one whose metric degrades most against the uncompressed
    /// model on it (`ScoreMetric.degradation`; the first of equals); nil for one set or
    /// before any set has both numbers.
    public var worstSet: Int? {
        guard sets.count > 1 else { return nil }
        var worst: (index: Int, degradation: Double)?
        for (index, set) in sets.enumerated() {
            guard let degradation = set.degradation(metric) else { continue }
            if worst.map({ degradation > $0.degradation }) ?? true { worst = (index, degradation) }
        }
        return worst?.index
    }

    /// Set `index`'s uncompressed metric (the first set's is also `baselineValue`).
    mutating func setBaseline(_ value: Double?, set index: Int) {
        if sets.indices.contains(index) { sets[index].baselineValue = value }
        if index == 0 { baselineValue = value }
    }

    /// Takes the running totals of set `index`'s tally (the first set's are also the top-level numbers).
    mutating func record(_ tally: ScoreTally, set index: Int = 0, isFinal: Bool) {
        if sets.indices.contains(index) {
            sets[index].samplesDone = tally.samples
            sets[index].value = tally.value
            sets[index].interval = tally.interval
            sets[index].baselineOnDone = tally.baselineValue
            sets[index].isFinal = isFinal
        }
        if index == 0 {
            value = tally.value
            interval = tally.interval
            baselineOnDone = tally.baselineValue
        }
        guard sets.count > 1 else {
            samplesDone = tally.samples
            self.isFinal = isFinal
            return
        }
        samplesDone = sets.reduce(0) { $0 + $1.samplesDone }
        self.isFinal = sets.allSatisfy(\.isFinal)
    }
}

/// One evaluation set's numbers in a `LiveSnapshot`.
public struct SetScore: Sendable, Equatable {
    public var name: String
    /// The running metric over the set's samples done so far (nil before its first batch).
    public var value: Double?
    /// 95% Wilson interval of `value` (proportion metrics only).
    public var interval: ClosedRange<Double>?
    public var samplesDone: Int
    public var samplesTotal: Int
    /// Every sample of the set is done: `value` is what `lathe eval --data this-set --config` reports.
    public var isFinal: Bool
    /// The uncompressed model's metric on the whole set (nil until known).
    public var baselineValue: Double?
    /// The uncompressed model's metric on the same samples as `value`.
    public var baselineOnDone: Double?

    public init(name: String, samplesTotal: Int, value: Double? = nil, isFinal: Bool = false,
                baselineValue: Double? = nil) {
        self.name = name
        self.value = value
        self.interval = nil
        self.samplesDone = 0
        self.samplesTotal = samplesTotal
        self.isFinal = isFinal
        self.baselineValue = baselineValue
        self.baselineOnDone = nil
    }

    /// How much worse than the uncompressed model on the same samples (nil before both are known).
    public func degradation(_ metric: ScoreMetric) -> Double? {
        guard let value, let reference = isFinal ? (baselineValue ?? baselineOnDone) : baselineOnDone else {
            return nil
        }
        return metric.degradation(baseline: reference, value: value)
    }
}
