import LatheCore

/// What the live engine last reported about a plan, as plain data: the binary
/// translates LatheCore's snapshots into this, and views only format it.
public struct EngineStatus: Sendable, Equatable {
    /// The plan revision (see `AppState.planRevision`) these numbers describe.
    public var revision: Int
    /// The running or final metric (top-1, or agreement without labels), 0...1.
    public var value: Double?
    /// Change of `value` against the uncompressed model on the same samples.
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
    public var job: JobStatus?

    public init(revision: Int, value: Double? = nil, change: Double? = nil, changeInterval: ClosedRange<Double>? = nil,
                samplesDone: Int = 0, samplesTotal: Int = 0, isFinal: Bool = false, baselineValue: Double? = nil,
                sizeBytes: Int, baselineBytes: Int, compressionRatio: Double, layerSizes: [String: TensorSize] = [:],
                error: String? = nil, job: JobStatus? = nil) {
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

/// A sensitivity sweep or automatic search running in the engine.
public struct JobStatus: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable { case sweep, search }
    public enum State: Sendable, Equatable {
        case running, finished, cancelled
        case failed(String)
    }

    public var id: Int
    public var kind: Kind
    public var phase: String
    public var done: Int
    public var total: Int
    public var state: State

    public init(id: Int, kind: Kind, phase: String, done: Int, total: Int, state: State) {
        self.id = id
        self.kind = kind
        self.phase = phase
        self.done = done
        self.total = total
        self.state = state
    }

    public var isRunning: Bool { state == .running }
    public var fraction: Double { total > 0 ? min(1, max(0, Double(done) / Double(total))) : 0 }
}
