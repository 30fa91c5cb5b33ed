import Foundation

/// Evaluates compression plans on a dataset, batch by batch, reusing cached
/// activations and compressed weights between plans. This is the one
/// evaluation path of Lathe: the live session, sensitivity sweeps, the search,
/// `lathe bench` and `lathe eval --config` all run plans through it, so their
/// numbers are the same for the same plan and batch size.
///
/// A plan's outputs for a batch are bitwise those of a plain
/// `InferenceSession.run` on that batch with the plan's weights and transforms:
/// seeds are exact values computed earlier for the same batch under the same
/// upstream settings, and the kernels are deterministic.
public final class PlanEvaluator: Sendable {
    public let session: InferenceSession
    public let dataset: Dataset
    /// The dataset's arrays bound to the session's inputs (converted to their dtypes).
    public let feedData: FeedData
    public let schedule: EvaluationSchedule
    public let options: EvaluatorOptions
    /// How outputs are scored: the metric (asked for, or chosen from the output and labels) and class axis.
    public let scoring: Scoring
    /// Compressed weights per tensor and settings.
    public let weightCache: CompressedWeightCache
    /// Deployed size of the uncompressed model.
    public let baselineBytes: Int

    let ancestry: LayerAncestry
    let stateTable: LayerStateTable
    /// Shared with the evaluators `reordered(by:)` makes, under one memory cap; each keys its batches apart
    /// (`cacheBatchOffset`).
    let activations: ActivationCache
    /// Added to batch numbers in activation cache keys: 0 here, a range of its own for each reordering.
    private let cacheBatchOffset: Int
    /// How many reorderings share this evaluator's cache (each takes the next offset).
    private let reorderings: LockedBox<Int>
    /// For a reordering, where the evaluator it was made from keeps each sample's cached values (nil otherwise).
    private let source: ReorderSource?
    private let calibrations: LockedBox<[CalibrationKey: ActivationRange]>
    /// GPTQ's and bias correction's statistics by layer name (`inputStatistics(for:)`).
    let inputStatisticsTable: LockedBox<[String: LayerInputStatistics]>
    private let running = LockedBox<Int>(0)
    private let identityModel: LockedBox<CompressedModel?>

    /// Where GPTQ, bias correction and activation ranges (`abits`) calibrate (nil: the evaluated data).
    let calibrationFeeds: FeedData?
    /// Names the calibration data for cache keys of results that depend on it (GPTQ sweeps).
    let calibrationSource: String

    /// - Parameter calibration: the data GPTQ, bias correction and activation ranges calibrate on (its first
    ///   `calibrationSamples` samples); nil uses the evaluated dataset's.
    public init(session: InferenceSession, dataset: Dataset, options: EvaluatorOptions = EvaluatorOptions(),
                calibration: Dataset? = nil) throws {
        guard options.batchSize >= 1 else {
            throw LatheError.badInput("batch size must be at least 1, got \(options.batchSize)")
        }
        guard options.threads >= 1 else { throw LatheError.badInput("threads must be at least 1, got \(options.threads)") }
        let feedData = try FeedData(dataset, feeds: session.feeds)
        guard feedData.count > 0 else { throw LatheError.badInput(file: dataset.path, "the dataset has no samples") }
        if let labels = dataset.labelArray, labels.shape.first != feedData.count {
            throw LatheError.badInput(file: dataset.path,
                                      "has \(labels.shape.first ?? 0) labels for \(feedData.count) samples")
        }
        let calibrationFeeds = try calibration.map { try FeedData($0, feeds: session.feeds) }
        if let calibration, calibrationFeeds?.count == 0 {
            throw LatheError.badInput(file: calibration.path, "the calibration data has no samples")
        }
        self.calibrationFeeds = calibrationFeeds
        self.calibrationSource = calibration.map { "\($0.path) (\(calibrationFeeds?.count ?? 0) samples)" }
            ?? "the evaluated data"
        try Engine.prepare()
        self.session = session
        self.dataset = dataset
        self.feedData = feedData
        self.options = options
        // A batch the model's inputs fix is kept to, whatever was asked (the CLI refuses a larger --batch).
        let batchSize = min(options.batchSize, feedData.count, session.fixedBatch?.size ?? Int.max)
        self.schedule = .interleaved(labels: dataset.labels, count: feedData.count, batchSize: batchSize)
        self.weightCache = CompressedWeightCache(capacityBytes: options.weightCacheBytes)
        self.baselineBytes = SizeModel.baselineBytes(of: session.weights, layers: session.layers)
        self.ancestry = LayerAncestry(session: session, checkpointMACsPerElement: options.checkpointMACsPerElement,
                                      macsPerCheckpointFloat: options.macsPerCheckpointFloat)
        self.activations = ActivationCache(capacityBytes: options.cacheCapacityBytes)
        self.stateTable = LayerStateTable()
        self.cacheBatchOffset = 0
        self.reorderings = LockedBox(0)
        self.source = nil
        self.calibrations = LockedBox([:])
        self.inputStatisticsTable = LockedBox([:])
        self.identityModel = LockedBox(nil)
        self.scoring = try Self.scoring(session: session, feedData: feedData, labels: dataset.labelArray,
                                        request: options.scoring, path: dataset.path)
    }

    private init(reordering other: PlanEvaluator, schedule: EvaluationSchedule, cacheBatchOffset: Int,
                 source: ReorderSource) {
        session = other.session
        dataset = other.dataset
        feedData = other.feedData
        self.schedule = schedule
        options = other.options
        scoring = other.scoring
        weightCache = other.weightCache
        baselineBytes = other.baselineBytes
        ancestry = other.ancestry
        stateTable = other.stateTable
        activations = other.activations
        self.cacheBatchOffset = cacheBatchOffset
        self.source = source
        reorderings = other.reorderings
        calibrations = other.calibrations
        inputStatisticsTable = other.inputStatisticsTable
        identityModel = other.identityModel
        calibrationFeeds = other.calibrationFeeds
        calibrationSource = other.calibrationSource
    }

    /// This evaluator visiting the samples in `order` (dataset indices, a permutation), in batches of the same
    /// size: the same compressed weights, calibrations and activation cache (under the one memory cap, its
    /// batches keyed apart), so a plan scores the same on it, sample for sample. A sensitivity sweep visits the
    /// least certain samples first this way (`MarginStop`). A value it has not cached yet is gathered, row by
    /// row, from this evaluator's batches when they all hold it under the same upstream settings (a copy, not a
    /// pass: the sweep's base plan's checkpoints serve the reordered entries).
    func reordered(by order: [Int]) throws -> PlanEvaluator {
        guard order.count == schedule.sampleCount, Set(order) == Set(0..<schedule.sampleCount) else {
            throw LatheError.internalFailure("a reordering must visit each of the \(schedule.sampleCount) samples once")
        }
        let space = reorderings.withLock { count -> Int in
            count += 1
            return count
        }
        var batchOfSample = [Int](repeating: 0, count: order.count), rowOfSample = batchOfSample
        for (position, sample) in schedule.order.enumerated() {
            batchOfSample[sample] = position / schedule.batchSize
            rowOfSample[sample] = position % schedule.batchSize
        }
        // A model with a fixed batch pads its batches, which a gather would have to repeat: it recomputes instead.
        let byName = session.fixedBatch == nil ? session.batchAxes(of: Set(ancestry.cached.map(\.name))) : [:]
        var axes: [Int: Int] = [:]
        for (index, value) in ancestry.cached.enumerated() { axes[index] = byName[value.name] }
        return PlanEvaluator(reordering: self, schedule: EvaluationSchedule(order: order, batchSize: schedule.batchSize),
                             cacheBatchOffset: space << 32,
                             source: ReorderSource(cacheBatchOffset: cacheBatchOffset, batchOfSample: batchOfSample,
                                                   rowOfSample: rowOfSample, axes: axes))
    }

    /// Cached value `index` for batch `b`, gathered from the batches of the evaluator this one reorders (nil when
    /// this is no reordering, the value has no known batch axis, or a batch it needs does not hold it).
    private func gathered(value index: Int, batch b: Int, signature: [Int32]) -> Tensor? {
        guard let source, let axis = source.axes[index] else { return nil }
        let samples = schedule.samples(ofBatch: b)
        var parts: [Int: Tensor] = [:]
        for sample in samples where parts[source.batchOfSample[sample]] == nil {
            let from = source.batchOfSample[sample]
            guard let part = activations.value(for: ActivationCache.Key(
                value: index, batch: from + source.cacheBatchOffset, signature: signature)), axis < part.rank else {
                return nil
            }
            parts[from] = part
        }
        guard let first = parts.values.first else { return nil }
        var shape = first.shape
        shape[axis] = samples.count
        for part in parts.values {
            var rest = part.shape
            rest[axis] = samples.count
            guard rest == shape, part.isFloat == first.isFloat, part.dtype == first.dtype else { return nil }
        }
        func gather<T>(_ elements: (Tensor) -> [T], zero: T) -> [T]? {
            var result = [T](repeating: zero, count: shape.reduce(1, *))
            for (target, sample) in samples.enumerated() {
                guard let part = parts[source.batchOfSample[sample]] else { return nil }
                BatchAxisCopy(shape: part.shape, axis: axis).copy(
                    row: source.rowOfSample[sample], of: elements(part), sourceRows: part.shape[axis],
                    to: target, of: &result, targetRows: samples.count)
            }
            return result
        }
        if first.isFloat {
            return gather(\.floats, zero: Float(0)).map { Tensor(shape: shape, floats: $0, dtype: first.dtype) }
        }
        return gather(\.ints, zero: Int64(0)).map { Tensor(shape: shape, ints: $0, dtype: first.dtype) }
    }

    /// Chooses the scoring from the output of one sample (its shape and dtype decide the metric).
    private static func scoring(session: InferenceSession, feedData: FeedData, labels: Tensor?,
                                request: ScoringRequest, path: String) throws -> Scoring {
        var samples = [0]
        if let fixed = session.fixedBatch?.size { samples += Array(repeating: 0, count: fixed - 1) }
        let output = try session.run(feedData.inputs(samples: samples)).output
        try Self.checkBatchAxis(of: output, batchSize: samples.count, session: session)
        let first = output.batchFirst(axis: session.outputBatchAxis)
        return try Scoring.choose(request, sampleShape: Array(first.shape.dropFirst()), outputIsFloat: first.isFloat,
                                  labels: labels, outputName: session.outputName)
    }

    /// Batch `b`'s labels in the form the scoring uses (nil when it uses none).
    func labels(ofBatch b: Int) -> BatchLabels? {
        guard let labels = dataset.labelArray, let n = labels.shape.first, n > 0 else { return nil }
        let per = labels.count / n
        let samples = schedule.samples(ofBatch: b)
        if scoring.labelsMatchPositions {
            var classes: [Int] = []
            classes.reserveCapacity(samples.count * per)
            for sample in samples {
                let range = (sample * per)..<((sample + 1) * per)
                if labels.isFloat { classes += labels.floats[range].map { Int($0) } }
                else { classes += labels.ints[range].map { Int(truncatingIfNeeded: $0) } }
            }
            return .classes(classes)
        }
        if scoring.labelsMatchOutput {
            var values: [Float] = []
            values.reserveCapacity(samples.count * per)
            for sample in samples { values += labels.floats[(sample * per)..<((sample + 1) * per)] }
            return .values(values)
        }
        return nil
    }

    public var layers: [WeightLayer] { session.layers }

    /// Bytes held by the activation cache.
    public var cacheBytes: Int { activations.bytes }

    /// Batches being run right now on all threads (0 when idle): no work outlives its evaluation.
    public var runningBatches: Int { running.withLock { $0 } }

    /// Size, MACs and BOPs of a plan (instant; no data needed).
    public func sizeReport(_ plan: CompressionPlan) -> SizeReport {
        SizeModel.report(tensors: session.weights, layers: session.layers, plan: plan)
    }

    // MARK: preparing plans

    /// Validates `plan`, compresses its weights (cached per tensor and settings)
    /// and calibrates its activation quantizers (cached per layer and upstream weights).
    func prepare(_ plan: CompressionPlan) throws -> CompressedModel {
        let layers = session.layers
        try plan.validate(layers: layers)
        let canonical = plan.canonical
        let states = LayerState.states(of: canonical, layers: layers)
        let ids = states.map(stateTable.id(of:))
        let isIdentity = states.allSatisfy { $0.settings.isIdentity }
        if isIdentity, let cached = identityModel.withLock({ $0 }) { return cached }

        var runOptions = RunOptions()
        runOptions.weights = try compressedWeights(canonical)
        runOptions.inputTransforms = try activationQuantizers(canonical, states: states, weights: runOptions.weights)
            .mapValues { $0.transform }
        let prepared = CompressedModel(
            plan: canonical, runOptions: runOptions,
            valueSignatures: valueSignatures(ids: ids),
            outputSignature: ancestry.outputUpstream.map { ids[$0] }, isIdentity: isIdentity)
        if isIdentity { identityModel.withLock { $0 = prepared } }
        return prepared
    }

    /// Quantizers for the layers with `abits`, their ranges calibrated by min–max
    /// over the first `calibrationSamples` samples (dataset order) of the calibration
    /// data (the evaluated data unless another set was given, as for GPTQ) run with the
    /// plan's compressed weights and float activations. One source for every evaluation
    /// set means one calibration, the one an export writes.
    /// The activation quantizers `plan` runs with (by layer name), calibrated as its evaluation calibrates
    /// them: what an export writes as QuantizeLinear/DequantizeLinear.
    public func activationQuantizers(for plan: CompressionPlan) throws -> [String: ActivationQuantizer] {
        let canonical = plan.canonical
        try canonical.validate(layers: session.layers)
        let states = LayerState.states(of: canonical, layers: session.layers)
        guard states.contains(where: { $0.settings.activationBits != nil }) else { return [:] }
        return try activationQuantizers(canonical, states: states, weights: try compressedWeights(canonical))
    }

    private func activationQuantizers(_ plan: CompressionPlan, states: [LayerState],
                                      weights: [String: Tensor]) throws -> [String: ActivationQuantizer] {
        let layers = session.layers
        let wanted = layers.indices.filter { states[$0].settings.activationBits != nil }
        guard !wanted.isEmpty else { return [:] }
        let weightIDs = states.map { stateTable.id(of: $0.withoutActivationBits) }
        let keys = wanted.map { CalibrationKey(layer: $0, signature: ancestry.calibrationUpstream[$0].map { weightIDs[$0] }) }
        var ranges = calibrations.withLock { table in keys.map { table[$0] } }
        let missing = wanted.indices.filter { ranges[$0] == nil }
        if !missing.isEmpty {
            var calibrator = ActivationCalibrator(plan: plan, sampleLimit: options.calibrationSamples)
            let names = Set(missing.map { session.layerInputName(layers[wanted[$0]]) })
            let data = calibrationFeeds ?? feedData
            let limit = min(options.calibrationSamples, data.count)
            var start = 0
            while start < limit {
                let end = min(start + schedule.batchSize, limit)
                let result = try session.run(batchInputs(start..<end, from: data),
                                             options: RunOptions(weights: weights, capture: names))
                for position in missing {
                    let layer = layers[wanted[position]]
                    if let input = result.captured[session.layerInputName(layer)] {
                        calibrator.observe(layer: layer.name, input: input)
                    }
                }
                start = end
            }
            for position in missing {
                let range = calibrator.ranges[layers[wanted[position]].name] ?? ActivationRange()
                ranges[position] = range
                calibrations.withLock { $0[keys[position]] = range }
            }
        }
        var quantizers: [String: ActivationQuantizer] = [:]
        for (position, index) in wanted.enumerated() {
            guard let bits = states[index].settings.activationBits else { continue }
            quantizers[layers[index].name] = ActivationQuantizer(bits: bits, range: ranges[position] ?? ActivationRange())
        }
        return quantizers
    }

    // MARK: running batches

    /// The plan's output for batch `b` of the schedule, starting from the
    /// deepest cached activations valid under the plan; `store` says which of the
    /// cacheable values this run computes are kept for later plans.
    func output(ofBatch b: Int, prepared: CompressedModel, store: ActivationStore) throws -> Tensor {
        var options = prepared.runOptions
        let cacheOn = activations.capacityBytes > 0
        var seeds: [String: Tensor] = [:]
        var kept: [Int] = []
        if cacheOn {
            let computed = ancestry.computedCachedValues { index in
                let key = ActivationCache.Key(value: index, batch: b + cacheBatchOffset,
                                              signature: prepared.valueSignatures[index])
                guard let tensor = activations.value(for: key)
                        ?? gathered(value: index, batch: b, signature: prepared.valueSignatures[index]) else {
                    return false
                }
                seeds[ancestry.cached[index].name] = tensor
                return true
            }
            options.seeds = seeds
            switch store {
            case .nothing:
                break
            case .checkpoints:
                kept = computed.filter { ancestry.isCheckpoint[$0] }
            case .sharedWith(let plan), .advancing(let plan, _):
                let shared = valueSignatures(of: plan)
                kept = computed.filter { shared[$0] == prepared.valueSignatures[$0] }
            }
            // The entries this run supersedes go first: their memory serves the kernels computing their
            // successors (fresh pages, zeroed on first touch, cost more than the pass itself).
            for index in kept { activations.discard(ActivationCache.Position(value: index, batch: b + cacheBatchOffset)) }
            // Only what is kept is captured: a captured value outlives its last reader in the run.
            options.capture = Set(kept.map { ancestry.cached[$0].name })
        }
        let result = try session.run(batchInputs(schedule.samples(ofBatch: b)), options: options)
        if case .advancing(_, let layer) = store, let input = ancestry.cachedIndex(ofInputOf: layer) {
            for index in 0..<input where !ancestry.isCheckpoint[index] {
                activations.discard(ActivationCache.Position(value: index, batch: b + cacheBatchOffset))
            }
        }
        for index in kept {
            if let tensor = result.captured[ancestry.cached[index].name] {
                activations.store(tensor, for: ActivationCache.Key(
                    value: index, batch: b + cacheBatchOffset, signature: prepared.valueSignatures[index]))
            }
        }
        return try realRows(of: result.output, rows: schedule.positions(ofBatch: b).count)
    }

    /// Per cached value, the state ids of its upstream layers under `plan` (`CompressedModel.valueSignatures`
    /// without compressing anything).
    func valueSignatures(of plan: CompressionPlan) -> [[Int32]] {
        valueSignatures(ids: LayerState.states(of: plan.canonical, layers: session.layers).map(stateTable.id(of:)))
    }

    private func valueSignatures(ids: [Int32]) -> [[Int32]] {
        ancestry.cached.map { value in value.upstream.map { ids[$0] } }
    }

    /// The inputs of `samples`. A batch an input fixes is filled up by repeating the
    /// last sample, since a model that hard-codes its batch runs at no other size
    /// (repeats change no min-max calibration range; `realRows` drops their outputs).
    func batchInputs<Samples: Collection<Int>>(_ samples: Samples, from feeds: FeedData? = nil) throws
        -> [String: Tensor] {
        let data = feeds ?? feedData
        guard let fixed = session.fixedBatch?.size, samples.count < fixed, let last = Array(samples).last else {
            return try data.inputs(samples: samples)
        }
        return try data.inputs(samples: Array(samples) + Array(repeating: last, count: fixed - samples.count))
    }

    /// The output of a run on `batchInputs` for `rows` samples: its batch axis checked, the filling cut off.
    func realRows(of output: Tensor, rows: Int) throws -> Tensor {
        let run = max(rows, session.fixedBatch?.size ?? rows)
        try checkBatchAxis(of: output, batchSize: run)
        return run == rows ? output : output.rows(0..<rows, alongAxis: session.outputBatchAxis)
    }

    /// Checks that the output's batch axis holds the batch's samples; if not, the
    /// error says which `--output-batch-axis` fits, when one axis does.
    func checkBatchAxis(of output: Tensor, batchSize: Int) throws {
        try Self.checkBatchAxis(of: output, batchSize: batchSize, session: session)
    }

    private static func checkBatchAxis(of output: Tensor, batchSize: Int, session: InferenceSession) throws {
        let axis = session.outputBatchAxis
        guard axis >= output.rank || output.shape[axis] != batchSize else { return }
        let candidates = output.shape.indices.filter { output.shape[$0] == batchSize }
        let hint = candidates.count == 1 ? "pass --output-batch-axis \(candidates[0])"
            : "pass --output-batch-axis with the axis that holds the samples"
        throw LatheError.badInput(file: session.modelPath, "output '\(session.outputName)' has shape "
            + "\(ModelBinding.describe(output.shape)) for a batch of \(batchSize): its axis \(axis) is not the "
            + "batch; \(hint)")
    }

    /// Runs `body` for each of `batches` on up to `threads` workers taking
    /// batches from a shared counter; with fewer batches than threads, each
    /// batch's ops get the spare threads (`OpParallelism`). `shouldStop` is checked before each batch; the
    /// result says whether every batch ran. An error stops the other workers
    /// and is rethrown (the earliest batch's when several fail). Returns only
    /// when every worker has finished, so no work outlives the call. Each call is a pass of the activation
    /// cache (`ActivationCache.beginPass`).
    func forEachBatch(_ batches: [Int], threads: Int? = nil, shouldStop: @Sendable () -> Bool = { false },
                      body: @Sendable (Int) throws -> Void) throws -> Bool {
        guard !batches.isEmpty else { return true }
        // Each call is a pass over the batches: the values its runs store or read stay cached before older ones.
        activations.beginPass()
        let state = LockedBox(BatchQueue(batches: batches))
        let threads = max(1, threads ?? options.threads)
        let workers = min(threads, batches.count)
        // Threads no batch can use go to each batch's ops (fewer batches than threads).
        let opWidth = max(1, threads / workers)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                if shouldStop() {
                    state.withLock { $0.stopped = true }
                    return
                }
                guard let (position, batch) = state.withLock({ $0.take() }) else { return }
                running.withLock { $0 += 1 }
                defer { running.withLock { $0 -= 1 } }
                do {
                    try OpParallelism.$width.withValue(opWidth) { try body(batch) }
                    state.withLock { $0.done += 1 }
                } catch {
                    state.withLock { $0.fail(position: position, error) }
                    return
                }
            }
        }
        return try state.withLock { queue in
            if let failure = queue.failure { throw failure.error }
            return queue.finishedAll
        }
    }
}

/// Batches handed out to workers, under a lock.
private struct BatchQueue {
    let batches: [Int]
    var next = 0
    var done = 0
    var stopped = false
    var failure: (position: Int, error: any Error)?

    init(batches: [Int]) { self.batches = batches }

    var finishedAll: Bool { done == batches.count }

    mutating func take() -> (Int, Int)? {
        guard failure == nil, !stopped, next < batches.count else { return nil }
        defer { next += 1 }
        return (next, batches[next])
    }

    mutating func fail(position: Int, _ error: any Error) {
        if let failure, failure.position <= position { return }
        failure = (position, error)
    }
}

/// Where the evaluator a reordering was made from keeps each sample's cached values (`PlanEvaluator.reordered`).
private struct ReorderSource: Sendable {
    let cacheBatchOffset: Int
    /// By dataset sample: its batch there, and its row in that batch.
    let batchOfSample: [Int]
    let rowOfSample: [Int]
    /// The batch axis of each cached value (by index into `LayerAncestry.cached`) whose axis is known.
    let axes: [Int: Int]
}
