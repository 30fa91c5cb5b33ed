/// Running totals of a plan's batch scores, resumable after an interruption:
/// batches already scored are skipped when the plan is scored again. Totals
/// are summed in batch order, so the value is the same however the batches
/// were split over threads or interrupted. Batches mostly arrive in order, so
/// the sum of the leading run of batches is kept and only those past a gap are
/// re-added: a batch costs O(1), not a re-sum of all before it.
struct ScoreTally: Sendable, Equatable {
    let metric: ScoreMetric
    private(set) var byBatch: [Int: ScoreTotals] = [:]
    private(set) var totals = ScoreTotals()
    /// Samples counted as the uncompressed model scores them, not run (`MarginStop`).
    var unchangedByMargin = 0
    /// Sum of batches `0..<leading`, every one present.
    private var leadingSum = ScoreTotals()
    private var leading = 0
    /// Batches scored beyond the first missing one.
    private var beyondGap: [Int: ScoreTotals] = [:]

    init(metric: ScoreMetric) { self.metric = metric }

    mutating func add(_ score: ScoreTotals, batch: Int) {
        guard byBatch[batch] == nil else { return }
        byBatch[batch] = score
        beyondGap[batch] = score
        while let next = beyondGap.removeValue(forKey: leading) {
            leadingSum = leadingSum + next
            leading += 1
        }
        totals = beyondGap.keys.sorted().reduce(leadingSum) { sum, batch in sum + (beyondGap[batch] ?? ScoreTotals()) }
    }

    func isComplete(batchCount: Int) -> Bool { byBatch.count == batchCount }

    var samples: Int { totals.samples }
    var value: Double? { totals.value(of: metric) }
    var baselineValue: Double? { totals.baselineValue(of: metric) }
    var interval: ClosedRange<Double>? { totals.interval(of: metric) }
}

/// Scores plans batch by batch on a `PlanEvaluator` under its `Scoring`,
/// keeping the uncompressed model's output per batch (computed on first need,
/// so it also seeds the activation cache with the baseline's activations).
/// Thread-safe.
final class PlanScorer: Sendable {
    let evaluator: PlanEvaluator
    let scorer: OutputScorer
    private let baseline: LockedBox<[ReferenceBatch?]>
    private let marginStop = LockedBox<MarginStop?>(nil)

    init(evaluator: PlanEvaluator) {
        self.evaluator = evaluator
        scorer = OutputScorer(scoring: evaluator.scoring)
        baseline = LockedBox([ReferenceBatch?](repeating: nil, count: evaluator.schedule.batchCount))
    }

    /// A scorer for `evaluator`, a reordering of `source`'s evaluator (`PlanEvaluator.reordered(by:)`), starting
    /// from `source`'s baseline outputs, regrouped into its batches (each batch it cannot fill is computed on first
    /// need, as always).
    init(evaluator: PlanEvaluator, reordering source: PlanScorer) {
        self.evaluator = evaluator
        scorer = source.scorer
        let known = source.baseline.withLock { $0 }
        var placeOf = [(batch: Int, row: Int)](repeating: (0, 0), count: source.sampleCount)
        for b in known.indices {
            for (row, sample) in source.evaluator.schedule.samples(ofBatch: b).enumerated() { placeOf[sample] = (b, row) }
        }
        let batches = (0..<evaluator.schedule.batchCount).map { b -> ReferenceBatch? in
            var values: [Float] = [], predictions: [Int32] = []
            let samples = evaluator.schedule.samples(ofBatch: b)
            for sample in samples {
                let (from, row) = placeOf[sample]
                guard let reference = known[from], reference.samples > 0 else { return nil }
                let width = reference.values.count / reference.samples
                values += reference.values[(row * width)..<((row + 1) * width)]
                let positions = reference.predictions.count / reference.samples
                predictions += reference.predictions[(row * positions)..<((row + 1) * positions)]
            }
            return ReferenceBatch(values: values, predictions: predictions, samples: samples.count)
        }
        baseline = LockedBox(batches)
    }

    var metric: ScoreMetric { evaluator.scoring.metric }
    var batchCount: Int { evaluator.schedule.batchCount }
    var sampleCount: Int { evaluator.schedule.sampleCount }

    /// A fresh search for the batches that settle a plan under `cutoff` and, with a cutoff, the margin stop when
    /// one is on (`useMarginStop`); nil: neither, every batch is scored.
    func settledPrefix(_ cutoff: LossCutoff?) -> LockedBox<SettledPrefix>? {
        guard let cutoff else { return nil }
        return LockedBox(SettledPrefix(cutoff: cutoff, marginStop: marginStop.withLock { $0 }, batchCount: batchCount))
    }

    /// Per dataset sample, its margin under the uncompressed model (`OutputScorer.margins`); nil until every
    /// batch's baseline is known, or when the output holds no class scores.
    func sampleMargins() -> [Double]? {
        let references = baseline.withLock { $0 }
        var margins = [Double](repeating: 0, count: sampleCount)
        for (b, reference) in references.enumerated() {
            guard let reference, let batch = scorer.margins(reference) else { return nil }
            for (sample, margin) in zip(evaluator.schedule.samples(ofBatch: b), batch) { margins[sample] = margin }
        }
        return margins
    }

    /// Stops the passes that have a cutoff also once their samples left keep their predictions (`MarginStop`);
    /// this scorer's evaluator must visit the samples in ascending order of `margins` (by dataset index, as
    /// `sampleMargins` gives them). Needs every batch's baseline; false (and nothing changes) without it.
    func useMarginStop(margins: [Double], factor: Double = MarginStop.defaultFactor) throws -> Bool {
        let references = baseline.withLock { $0 }
        guard margins.count == sampleCount else { return false }
        var batchMargins: [Double] = [], unchanged: [ScoreTotals] = []
        for (b, reference) in references.enumerated() {
            guard let reference else { return false }
            batchMargins.append(evaluator.schedule.samples(ofBatch: b).map { margins[$0] }.min() ?? .infinity)
            unchanged.append(try scorer.totals(referenceTensor(reference), reference: reference,
                                               labels: evaluator.labels(ofBatch: b)))
        }
        marginStop.withLock { $0 = MarginStop(factor: factor, batchMargins: batchMargins, unchanged: unchanged) }
        return true
    }

    func identity() throws -> CompressedModel {
        try evaluator.prepare(CompressionPlan.identity(layers: evaluator.layers))
    }

    /// The uncompressed model's output for batch `b`, computed (and its activations cached as `store` says) on
    /// first use.
    func baselineReference(batch b: Int, store: ActivationStore = .checkpoints) throws -> ReferenceBatch {
        if let known = baseline.withLock({ $0[b] }) { return known }
        let output = try evaluator.output(ofBatch: b, prepared: identity(), store: store)
        let reference = try scorer.reference(output.batchFirst(axis: evaluator.session.outputBatchAxis))
        baseline.withLock { $0[b] = reference }
        return reference
    }

    /// The baseline's metric over all samples once every batch's baseline is known.
    var baselineValue: Double? {
        let references = baseline.withLock { $0 }
        var totals = ScoreTotals()
        for (b, reference) in references.enumerated() {
            guard let reference,
                  let batch = try? scorer.totals(referenceTensor(reference), reference: reference,
                                                 labels: evaluator.labels(ofBatch: b))
            else { return nil }
            totals = totals + batch
        }
        return totals.baselineValue(of: metric)
    }

    var baselineComplete: Bool { baseline.withLock { $0.allSatisfy { $0 != nil } } }

    /// Scores batch `b` under `prepared`: baseline first (so the plan can start
    /// from its cached activations), then the plan.
    func score(batch b: Int, prepared: CompressedModel, store: ActivationStore) throws -> ScoreTotals {
        let reference = try baselineReference(batch: b, store: prepared.isIdentity ? store : .checkpoints)
        let output = prepared.isIdentity ? referenceTensor(reference)
            : try evaluator.output(ofBatch: b, prepared: prepared, store: store)
                .batchFirst(axis: evaluator.session.outputBatchAxis)
        return try scorer.totals(output, reference: reference, labels: evaluator.labels(ofBatch: b))
    }

    /// The reference's values as a samples-first tensor (scoring reads floats and, for
    /// prediction outputs, the integer classes the predictions already hold).
    private func referenceTensor(_ reference: ReferenceBatch) -> Tensor {
        let shape = [reference.samples] + evaluator.scoring.sampleShape
        if evaluator.scoring.predictionsGiven {
            return Tensor(shape: shape, ints: reference.predictions.map(Int64.init))
        }
        return Tensor(shape: shape, floats: reference.values)
    }

    /// Scores the batches of `prepared` missing from `tally`, in parallel; stops
    /// at a batch boundary when `shouldStop` says so (returns false).
    /// `onBatch` sees the tally after each batch.
    func score(_ prepared: CompressedModel, store: ActivationStore, tally: LockedBox<ScoreTally>,
               shouldStop: @Sendable () -> Bool = { false },
               onBatch: @Sendable (ScoreTally) -> Void = { _ in }) throws -> Bool {
        let missing = tally.withLock { t in (0..<batchCount).filter { t.byBatch[$0] == nil } }
        return try evaluator.forEachBatch(missing, shouldStop: shouldStop) { batch in
            let result = try self.score(batch: batch, prepared: prepared, store: store)
            let current = tally.withLock { t -> ScoreTally in
                t.add(result, batch: batch)
                return t
            }
            onBatch(current)
        }
    }

    /// Scores like `score(_:store:tally:shouldStop:onBatch:)` and also stops once `prefix` (when given) settles.
    /// Returns the tally to report: the settled run's, or `tally`'s when every batch was scored; nil when
    /// `shouldStop` interrupted it first.
    func score(_ prepared: CompressedModel, store: ActivationStore, tally: LockedBox<ScoreTally>,
               prefix: LockedBox<SettledPrefix>?, shouldStop: @escaping @Sendable () -> Bool) throws -> ScoreTally? {
        guard let prefix else {
            return try score(prepared, store: store, tally: tally, shouldStop: shouldStop) ? tally.withLock { $0 } : nil
        }
        let isSettled: @Sendable () -> Bool = { prefix.withLock { $0.settled != nil } }
        let finished = try score(prepared, store: store, tally: tally, shouldStop: { isSettled() || shouldStop() },
                                 onBatch: { current in prefix.withLock { $0.advance(current) } })
        if let settled = prefix.withLock({ $0.settled }) { return settled }
        return finished ? tally.withLock { $0 } : nil
    }
}
