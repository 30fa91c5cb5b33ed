import Foundation

/// Whole-dataset evaluation: what `lathe eval` calls (with the identity plan
/// when there is no `--config`), and `lathe bench`'s full pass.
extension PlanEvaluator {
    /// Evaluates `plan` on every sample: outputs in dataset order, score totals
    /// (against the labels and the uncompressed model), size, and the wall time of
    /// the pass (reference included). `progress` receives a phase
    /// ("evaluating"), samples done and the total; its calls are serialised
    /// and `done` increases.
    ///
    /// One pass: each batch runs the uncompressed model, keeping the layer
    /// inputs the plan leaves unchanged, then the plan from those. Nothing
    /// goes to the shared activation cache, so memory stays at a few batches.
    public func evaluate(_ plan: CompressionPlan,
                         progress: (@Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void)? = nil,
                         isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> PlanEvaluation {
        let size = sizeReport(plan)
        let start = DispatchTime.now().uptimeNanoseconds
        let identity = try prepare(CompressionPlan.identity(layers: session.layers))
        let prepared = try prepare(plan)
        // Values the two plans compute identically: the reference's copy seeds the plan's run.
        let shared = ancestry.cached.indices.filter { identity.valueSignatures[$0] == prepared.valueSignatures[$0] }
            .map { ancestry.cached[$0].name }
        let results = LockedBox(BatchOutputs(schedule: schedule, axis: session.outputBatchAxis))
        let scores = LockedBox(ScoreTally(metric: scoring.metric))
        let scorer = OutputScorer(scoring: scoring)
        let total = schedule.sampleCount
        let schedule = self.schedule
        let finished = try forEachBatch(Array(0..<schedule.batchCount), shouldStop: isCancelled) { batch in
            // The batch goes to the last run that reads it, which releases it after its last reader.
            var input: [String: Tensor]? = try self.batchInputs(schedule.samples(ofBatch: batch))
            var options = identity.runOptions
            options.capture = prepared.isIdentity ? [] : Set(shared)
            let reference = try self.session.run((prepared.isIdentity ? input.take() : input) ?? [:], options: options)
            let expected = schedule.positions(ofBatch: batch).count
            let baseline = try self.realRows(of: reference.output, rows: expected)
            var output = baseline
            if !prepared.isIdentity {
                options = prepared.runOptions
                options.seeds = reference.captured
                output = try self.realRows(of: self.session.run(input.take() ?? [:], options: options).output,
                                           rows: expected)
            }
            let axis = self.session.outputBatchAxis
            let score = try scorer.totals(output.batchFirst(axis: axis), reference: scorer.reference(baseline.batchFirst(axis: axis)),
                                          labels: self.labels(ofBatch: batch))
            scores.withLock { $0.add(score, batch: batch) }
            try results.withLock { results in
                try results.add(output, batch: batch)
                results.samplesDone += expected
                progress?("evaluating", results.samplesDone, total)
            }
        }
        guard finished else { throw CancellationError() }
        let axis = session.outputBatchAxis
        let outputs = try results.withLock { try $0.assembled() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // Top-5 and macro F1 are defined for one class label per sample.
        let classification = scoring.labelsMatchPositions && scoring.positionsPerSample == 1 && !scoring.predictionsGiven
            ? try dataset.labels.map { try Metrics(outputs: outputs.batchFirst(axis: axis), labels: $0) } : nil
        return PlanEvaluation(outputs: outputs, scoring: scoring, totals: scores.withLock { $0.totals },
                              classification: classification, size: size, seconds: seconds)
    }

    /// Outputs of `plan` for every sample in dataset order, unscored (any
    /// output shape), through the shared activation cache when it has room.
    /// `progress` and cancellation as in `evaluate`.
    public func outputs(of plan: CompressionPlan,
                        progress: (@Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void)? = nil,
                        isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Tensor {
        try outputs(prepare(plan), phase: "evaluating", progress: progress, isCancelled: isCancelled)
    }

    /// Outputs of a compressed model for every sample in dataset order, through the
    /// shared activation cache (seeding from it and storing what it computes).
    func outputs(_ prepared: CompressedModel, phase: String, progress: (@Sendable (String, Int, Int) -> Void)?,
                 isCancelled: @escaping @Sendable () -> Bool) throws -> Tensor {
        let results = LockedBox(BatchOutputs(schedule: schedule, axis: session.outputBatchAxis))
        let total = schedule.sampleCount
        let schedule = self.schedule
        let finished = try forEachBatch(Array(0..<schedule.batchCount), shouldStop: isCancelled) { batch in
            let output = try self.output(ofBatch: batch, prepared: prepared, store: .checkpoints)
            try results.withLock { results in
                try results.add(output, batch: batch)
                results.samplesDone += schedule.positions(ofBatch: batch).count
                progress?(phase, results.samplesDone, total)
            }
        }
        guard finished else { throw CancellationError() }
        return try results.withLock { try $0.assembled() }
    }
}

/// The outputs of one plan, each batch's copied into dataset order as it arrives: kept per batch
/// and assembled at the end, every output was held twice, and both copies were freshly allocated
/// pages (64 MB each for 64 maps of 512×512, which on a virtual machine cost a tenth of the run).
struct BatchOutputs {
    var samplesDone = 0
    private let schedule: EvaluationSchedule
    private let axis: Int
    private var received: [Bool]
    /// The first output: the shape and dtype every other batch must have.
    private var first: Tensor?
    private var shape: [Int] = []
    private var floats: [Float] = []
    private var ints: [Int64] = []

    init(schedule: EvaluationSchedule, axis: Int) {
        self.schedule = schedule
        self.axis = axis
        received = [Bool](repeating: false, count: schedule.batchCount)
    }

    /// Copies batch `batch`'s output to its samples' places along the batch axis.
    mutating func add(_ output: Tensor, batch: Int) throws {
        let count = schedule.sampleCount
        if first == nil {
            guard axis < output.rank else {
                throw LatheError.badInput("output of shape \(ModelBinding.describe(output.shape)) has no batch axis \(axis)")
            }
            first = output
            shape = output.shape
            shape[axis] = count
            let total = shape.reduce(1, *)
            if output.isFloat { floats = [Float](repeating: 0, count: total) } else { ints = [Int64](repeating: 0, count: total) }
        }
        guard let first else { return }
        var expected = shape
        expected[axis] = output.shape.count == shape.count ? output.shape[axis] : -1
        guard output.shape == expected, output.dtype == first.dtype else {
            throw LatheError.badInput("the output changes shape between batches: "
                + "\(ModelBinding.describe(first.shape)) and \(ModelBinding.describe(output.shape))")
        }
        let copier = BatchAxisCopy(shape: shape, axis: axis)
        let rows = output.shape[axis]
        for (row, sample) in schedule.samples(ofBatch: batch).enumerated() {
            if first.isFloat {
                copier.copy(row: row, of: output.floats, sourceRows: rows, to: sample, of: &floats, targetRows: count)
            } else {
                copier.copy(row: row, of: output.ints, sourceRows: rows, to: sample, of: &ints, targetRows: count)
            }
        }
        received[batch] = true
    }

    /// The outputs in dataset order along the batch axis, in the model's own layout.
    func assembled() throws -> Tensor {
        guard let first else { throw LatheError.internalFailure("no batch was evaluated") }
        if let missing = received.firstIndex(of: false) {
            throw LatheError.internalFailure("batch \(missing) has no output")
        }
        return first.isFloat ? Tensor(shape: shape, floats: floats, dtype: first.dtype)
            : Tensor(shape: shape, ints: ints, dtype: first.dtype)
    }
}
