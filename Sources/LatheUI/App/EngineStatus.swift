import LatheCore

/// What the live engine last reported about a plan, in the terms the explorer shows:
/// the change against fp32 rather than two values, sizes by layer name. Views only
/// format it; `init(_:)` is the one translation from LatheCore's `LiveSnapshot`.
public struct EngineStatus: Sendable, Equatable {
    /// The plan revision (see `AppState.planRevision`) these numbers describe.
    public var revision: Int
    /// The running or final metric (`SessionInfo.metric`).
    public var value: Double?
    /// Change of `value` against the uncompressed model on the same samples: the
    /// difference for top-1, agreement and cosine, relative for mse and mae, none
    /// for SQNR (the value is already a comparison with the uncompressed model).
    public var change: Double?
    /// 95% interval of that change while streaming.
    public var changeInterval: ClosedRange<Double>?
    public var samplesDone: Int
    public var samplesTotal: Int
    /// Every sample is done: `value` is what `lathe eval --config` reports.
    public var isFinal: Bool
    /// The uncompressed model's metric on every sample, once known.
    public var baselineValue: Double?
    public var sizeBytes: Int
    public var baselineBytes: Int
    public var compressionRatio: Double
    /// Per-layer size under the plan (LatheCore `SizeReport`), by layer name.
    public var layerSizes: [String: TensorSize]
    /// Why the plan cannot be evaluated.
    public var error: String?
    /// The running (or last) background job.
    public var job: JobProgress?
    /// With several evaluation sets, each set's metric in order (empty for one set: the
    /// top-level numbers are the set's), and which one degrades most.
    public var sets: [SetStatus] = []
    public var worstSet: Int?

    /// One evaluation set's metric, as the status bar shows it.
    public struct SetStatus: Sendable, Equatable {
        public var name: String
        public var value: Double?
        public var isFinal: Bool
        public var baselineValue: Double?

        public init(name: String, value: Double?, isFinal: Bool, baselineValue: Double? = nil) {
            self.name = name
            self.value = value
            self.isFinal = isFinal
            self.baselineValue = baselineValue
        }
    }

    public init(revision: Int, value: Double? = nil, change: Double? = nil, changeInterval: ClosedRange<Double>? = nil,
                samplesDone: Int = 0, samplesTotal: Int = 0, isFinal: Bool = false, baselineValue: Double? = nil,
                sizeBytes: Int, baselineBytes: Int, compressionRatio: Double, layerSizes: [String: TensorSize] = [:],
                error: String? = nil, job: JobProgress? = nil) {
        self.revision = revision
        self.value = value
        self.change = change
        self.changeInterval = changeInterval
        self.samplesDone = samplesDone
        self.samplesTotal = samplesTotal
        self.isFinal = isFinal
        self.baselineValue = baselineValue
        self.sizeBytes = sizeBytes
        self.baselineBytes = baselineBytes
        self.compressionRatio = compressionRatio
        self.layerSizes = layerSizes
        self.error = error
        self.job = job
    }

    /// Whether the accuracy is still being computed.
    public var isStreaming: Bool { error == nil && !isFinal }
}

extension EngineStatus {
    /// A live snapshot as the explorer's status: its tag is the plan revision it describes;
    /// nil for an untagged snapshot (the session's own start, which no revision asked for).
    public init?(_ snapshot: LiveSnapshot) {
        guard let revision = snapshot.tag else { return nil }
        var change: Double?
        var interval: ClosedRange<Double>?
        if let value = snapshot.value {
            // The baseline on the same samples: the change is then an early estimate of the final one.
            if let reference = snapshot.isFinal ? (snapshot.baselineValue ?? snapshot.baselineOnDone)
                                                : snapshot.baselineOnDone {
                switch snapshot.metric.loss {
                case .points:
                    change = value - reference
                    if let i = snapshot.interval { interval = (i.lowerBound - reference)...(i.upperBound - reference) }
                case .relative:
                    change = reference > 0 ? (value - reference) / reference : nil
                case .decibels:
                    change = nil
                }
            }
        }
        var sizes: [String: TensorSize] = [:]
        for cost in snapshot.size?.layers ?? [] { sizes[cost.name] = cost.size }
        self.init(revision: revision, value: snapshot.value, change: change, changeInterval: interval,
                  samplesDone: snapshot.samplesDone, samplesTotal: snapshot.samplesTotal, isFinal: snapshot.isFinal,
                  baselineValue: snapshot.baselineValue, sizeBytes: snapshot.sizeBytes,
                  baselineBytes: snapshot.baselineBytes, compressionRatio: snapshot.compressionRatio,
                  layerSizes: sizes, error: snapshot.error, job: snapshot.job)
        if snapshot.sets.count > 1 {
            sets = snapshot.sets.map {
                SetStatus(name: $0.name, value: $0.value, isFinal: $0.isFinal, baselineValue: $0.baselineValue)
            }
            worstSet = snapshot.worstSet
        }
    }
}
