/// The metric live evaluation reports for a plan: top-1 against the labels,
/// or, without labels, agreement with the uncompressed model's top-1.
public enum LiveMetric: String, Sendable, Equatable, Codable {
    case top1 = "top-1"
    case agreement = "agree"
}

/// One batch's contribution to a plan's score.
struct BatchScore: Sendable, Equatable {
    /// Samples whose prediction is right (equals the label, or the baseline's prediction).
    var hits: Int
    var samples: Int
    /// Hits of the uncompressed model on the same samples (= samples for agreement).
    var baselineHits: Int
}

/// Running totals of a plan's batch scores, resumable after an interruption:
/// batches already scored are skipped when the plan is scored again.
struct ScoreTally: Sendable, Equatable {
    private(set) var byBatch: [Int: BatchScore] = [:]
    private(set) var hits = 0
    private(set) var samples = 0
    private(set) var baselineHits = 0

    mutating func add(_ score: BatchScore, batch: Int) {
        guard byBatch[batch] == nil else { return }
        byBatch[batch] = score
        hits += score.hits
        samples += score.samples
        baselineHits += score.baselineHits
    }

    func isComplete(batchCount: Int) -> Bool { byBatch.count == batchCount }

    var value: Double? { samples > 0 ? Double(hits) / Double(samples) : nil }
}

/// Scores plans batch by batch on a `PlanEvaluator`, keeping the uncompressed
/// model's predictions per batch (computed on first need, so they also seed
/// the activation cache with the baseline's activations). Thread-safe.
final class PlanScorer: Sendable {
    let evaluator: PlanEvaluator
    let metric: LiveMetric
    /// Labels of each batch's samples (nil without labels).
    private let batchLabels: [[Int]]?
    private let baseline: LockedBox<[[Int]?]>

    init(evaluator: PlanEvaluator) {
        self.evaluator = evaluator
        let schedule = evaluator.schedule
        if let labels = evaluator.dataset.labels {
            metric = .top1
            batchLabels = (0..<schedule.batchCount).map { schedule.labels(ofBatch: $0, from: labels) }
        } else {
            metric = .agreement
            batchLabels = nil
        }
        baseline = LockedBox([[Int]?](repeating: nil, count: schedule.batchCount))
    }

    var batchCount: Int { evaluator.schedule.batchCount }
    var sampleCount: Int { evaluator.schedule.sampleCount }

    func identity() throws -> CompressedModel {
        try evaluator.prepare(CompressionPlan.identity(layers: evaluator.layers))
    }

    /// The uncompressed model's predictions for batch `b`, computed (and its activations cached) on first use.
    func baselinePredictions(batch b: Int) throws -> [Int] {
        if let known = baseline.withLock({ $0[b] }) { return known }
        let output = try evaluator.output(ofBatch: b, prepared: identity(), store: true)
        let predictions = try Metrics.predictions(output.batchFirst(axis: evaluator.session.outputBatchAxis))
        baseline.withLock { $0[b] = predictions }
        return predictions
    }

    /// The baseline's metric over all samples once every batch's baseline is known.
    var baselineValue: Double? {
        guard metric == .top1, let batchLabels else { return metric == .agreement && baselineComplete ? 1 : nil }
        return baseline.withLock { all -> Double? in
            var hits = 0, samples = 0
            for (b, predictions) in all.enumerated() {
                guard let predictions else { return nil }
                hits += zip(predictions, batchLabels[b]).filter { $0 == $1 }.count
                samples += predictions.count
            }
            return samples > 0 ? Double(hits) / Double(samples) : nil
        }
    }

    var baselineComplete: Bool { baseline.withLock { $0.allSatisfy { $0 != nil } } }

    /// Scores batch `b` under `prepared`: baseline first (so the plan can start
    /// from its cached activations), then the plan.
    func score(batch b: Int, prepared: CompressedModel, store: Bool) throws -> BatchScore {
        let reference = try baselinePredictions(batch: b)
        let predictions = prepared.isIdentity
            ? reference
            : try Metrics.predictions(evaluator.output(ofBatch: b, prepared: prepared, store: store)
                .batchFirst(axis: evaluator.session.outputBatchAxis))
        guard predictions.count == reference.count else {
            throw LatheError.internalFailure("batch \(b): \(predictions.count) predictions, \(reference.count) expected")
        }
        if let batchLabels {
            let labels = batchLabels[b]
            return BatchScore(hits: zip(predictions, labels).filter { $0 == $1 }.count, samples: labels.count,
                              baselineHits: zip(reference, labels).filter { $0 == $1 }.count)
        }
        return BatchScore(hits: zip(predictions, reference).filter { $0 == $1 }.count, samples: reference.count,
                          baselineHits: reference.count)
    }

    /// Scores the batches of `prepared` missing from `tally`, in parallel; stops
    /// at a batch boundary when `shouldStop` says so (returns false).
    /// `onBatch` sees the tally after each batch.
    func score(_ prepared: CompressedModel, store: Bool, tally: LockedBox<ScoreTally>,
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
}
