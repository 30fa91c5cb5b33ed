import Foundation

/// The metric of an exported model, measured by Lathe's engine on the evaluation data exactly as
/// `lathe eval --config` measures the plan (same batches, same uncompressed reference, same scoring),
/// and compared with the plan's.
///
/// Tolerances: top-1 and agreement within one sample's positions (one sample for a classifier);
/// SQNR within 0.01 dB (both infinite counts as equal); cosine within 1e-6; MSE and MAE within a
/// relative 1e-5. The export computes the same float32 weights and activation grids, so in practice
/// the two agree exactly; the tolerances absorb a different summation order in another kernel.
public struct ExportMetricCheck: Sendable, Equatable {
    public var metric: ScoreMetric
    public var planned: Double?
    public var exported: Double?
    public var passed: Bool
    public var tolerance: String
    /// Samples the two were measured on.
    public var samples: Int

    static func compare(planned: ScoreTotals, exported: ScoreTotals, metric: ScoreMetric) -> ExportMetricCheck {
        let a = planned.value(of: metric), b = exported.value(of: metric)
        let perSample = planned.samples > 0 ? max(1, planned.positions / planned.samples) : 1
        var passed: Bool
        let tolerance: String
        switch metric {
        case .top1:
            passed = abs(planned.labelHits - exported.labelHits) <= perSample
            tolerance = perSample == 1 ? "one sample" : "one sample (\(perSample) positions)"
        case .agree:
            passed = abs(planned.agreements - exported.agreements) <= perSample
            tolerance = perSample == 1 ? "one sample" : "one sample (\(perSample) positions)"
        case .sqnr:
            if let a, let b { passed = (a.isInfinite && b.isInfinite && a == b) || abs(a - b) <= 0.01 } else { passed = a == b }
            tolerance = "0.01 dB"
        case .cosine:
            if let a, let b { passed = abs(a - b) <= 1e-6 } else { passed = a == b }
            tolerance = "1e-6"
        case .mse, .mae:
            if let a, let b { passed = abs(a - b) <= 1e-5 * max(abs(a), 1e-30) } else { passed = a == b }
            tolerance = "relative 1e-5"
        }
        return ExportMetricCheck(metric: metric, planned: a, exported: b, passed: passed, tolerance: tolerance,
                                 samples: planned.samples)
    }
}

/// One evaluation set an export is verified on: its evaluator (bound to the set, scoring as `lathe eval`
/// scores that set) and the plan's evaluation there, what `lathe eval --config` reports for the set.
public struct ExportVerificationSet: Sendable {
    public var name: String
    public var evaluator: PlanEvaluator
    public var planned: PlanEvaluation

    public init(name: String, evaluator: PlanEvaluator, planned: PlanEvaluation) {
        self.name = name
        self.evaluator = evaluator
        self.planned = planned
    }
}

/// The metric check on one named evaluation set.
public struct ExportSetCheck: Sendable, Equatable {
    public var name: String
    /// The set's file.
    public var data: String
    public var check: ExportMetricCheck
}

extension PlanEvaluator {
    /// Scores `other` (an exported model bound to this evaluator's data) batch by batch as `evaluate`
    /// scores a plan: against this evaluator's uncompressed outputs and the labels.
    func scoreForeign(_ other: InferenceSession,
                      progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws -> ScoreTotals {
        let identity = try prepare(CompressionPlan.identity(layers: session.layers))
        let scores = LockedBox(ScoreTally(metric: scoring.metric))
        let done = LockedBox(0)
        let scorer = OutputScorer(scoring: scoring)
        let schedule = self.schedule
        let total = schedule.sampleCount
        let finished = try forEachBatch(Array(0..<schedule.batchCount)) { batch in
            let input = try self.batchInputs(schedule.samples(ofBatch: batch))
            let expected = schedule.positions(ofBatch: batch).count
            let reference = try self.realRows(of: self.session.run(input, options: identity.runOptions).output,
                                              rows: expected)
            let exported = try self.realRows(of: other.run(input).output, rows: expected)
            let axis = self.session.outputBatchAxis
            let score = try scorer.totals(exported.batchFirst(axis: other.outputBatchAxis),
                                          reference: scorer.reference(reference.batchFirst(axis: axis)),
                                          labels: self.labels(ofBatch: batch))
            scores.withLock { $0.add(score, batch: batch) }
            let count = done.withLock { $0 += expected; return $0 }
            progress?(count, total)
        }
        guard finished else { throw CancellationError() }
        return scores.withLock { $0.totals }
    }
}
