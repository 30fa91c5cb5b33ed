import Foundation

/// Settings of plan evaluation.
public struct EvaluatorOptions: Sendable, Equatable {
    /// Samples per batch. Batches are fixed by `EvaluationSchedule`, so results at a
    /// given batch size never depend on threads, order or cancellations.
    public var batchSize: Int
    /// Worker threads running batches in parallel (BLAS itself stays single-threaded).
    public var threads: Int
    /// Memory cap of the activation cache (0 disables it).
    public var cacheCapacityBytes: Int
    /// A layer input is a checkpoint of the activation cache, kept by every run that computes it, when
    /// recomputing it from the checkpoints before it costs at least this many MACs per element
    /// (`LayerAncestry.checkpoints`); 0 makes every layer input one. 48 is past a 3×3 or 5×5 depthwise
    /// conv (9, 25) and a pointwise conv with fewer than 48 input channels, which recompute about as fast as
    /// their stored copy is written and read back, and short of a recurrent layer or a transformer's
    /// projections.
    public var checkpointMACsPerElement: Int
    /// The checkpoints of a sample hold at most one float per this many of the model's MACs per sample: past
    /// that, the threshold above rises until they fit (`LayerAncestry.checkpoints`); 0 sets no bound. Every
    /// pass that recomputes a checkpoint writes it out to memory the allocator could not recycle while it was
    /// hot, about 10 MACs' time a float on a 2-core VM (the bundled MobileNet: 0.17 ns a float stored, 0.016 ns
    /// a MAC), so at 256 storing costs a pass at most about 4% of its arithmetic, however the model spreads its
    /// MACs over its layers.
    public var macsPerCheckpointFloat: Int
    /// Memory cap of the compressed-weight cache.
    public var weightCacheBytes: Int
    /// Samples (the first ones, in dataset order) calibrating `abits` ranges.
    public var calibrationSamples: Int
    /// The metric (nil: chosen from the output and labels) and the class axis.
    public var scoring: ScoringRequest

    /// The activation cache's default cap: a quarter of physical memory, at most 2 GiB. The cache
    /// grows with the evaluation set (for the bundled MobileNet, 14 KB a sample for the live engine's
    /// checkpoints, 0.29 MB for a sensitivity sweep's every layer input), so a
    /// quarter of a 16 GB laptop's memory could take 4 GB beside everything else it runs; 2 GiB
    /// holds the bundled set whole and keeps the engine's peak to the bound the README states.
    public static var defaultCacheCapacityBytes: Int {
        min(Int(ProcessInfo.processInfo.physicalMemory / 4), 2 << 30)
    }

    public init(batchSize: Int = 64, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                cacheCapacityBytes: Int = EvaluatorOptions.defaultCacheCapacityBytes,
                weightCacheBytes: Int = 1 << 30, calibrationSamples: Int = 256,
                scoring: ScoringRequest = ScoringRequest(), checkpointMACsPerElement: Int = 48,
                macsPerCheckpointFloat: Int = 256) {
        self.batchSize = batchSize
        self.threads = threads
        self.cacheCapacityBytes = cacheCapacityBytes
        self.weightCacheBytes = weightCacheBytes
        self.calibrationSamples = calibrationSamples
        self.scoring = scoring
        self.checkpointMACsPerElement = checkpointMACsPerElement
        self.macsPerCheckpointFloat = macsPerCheckpointFloat
    }
}

/// The result of evaluating one plan on the whole dataset.
public struct PlanEvaluation: Sendable {
    /// The plan's outputs `[N, ...]` in dataset order.
    public var outputs: Tensor
    /// How the output was scored, and the totals every metric follows from.
    public var scoring: Scoring
    public var totals: ScoreTotals
    /// Top-5 and macro F1 for a classifier with one label per sample (nil otherwise).
    public var classification: Metrics?
    public var size: SizeReport
    /// Wall time of the evaluation (the uncompressed reference included).
    public var seconds: Double
}
