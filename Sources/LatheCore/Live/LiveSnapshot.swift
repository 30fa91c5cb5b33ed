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

    /// Takes the running totals of a tally.
    mutating func record(_ tally: ScoreTally, isFinal: Bool) {
        samplesDone = tally.samples
        value = tally.value
        interval = tally.interval
        baselineOnDone = tally.baselineValue
        self.isFinal = isFinal
    }
}
