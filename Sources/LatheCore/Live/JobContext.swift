/// What a long job (sensitivity sweep, search) needs from the engine: score a
/// plan on every sample, report progress, learn it was cancelled. The live
/// session provides one that pauses the job whenever the user applies a plan;
/// the command line provides a direct one.
struct JobContext: Sendable {
    /// Scores a plan on every sample, keeping what `store` says of the activations it computes
    /// for later plans; with a cutoff, only on the leading batches that settle it (`SettledPrefix`).
    /// Throws `CancellationError` when the job is cancelled.
    typealias Evaluate = @Sendable (_ plan: CompressionPlan, _ store: ActivationStore, _ cutoff: LossCutoff?) throws
        -> ScoreTally

    let scorer: PlanScorer
    /// How this context scores plans on a scorer (pausing for the user's plans in a live session): `scorer`'s
    /// `evaluate`, and the same engine access for another scorer (`on(_:)`).
    let evaluation: @Sendable (PlanScorer) -> Evaluate
    let report: @Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void
    let isCancelled: @Sendable () -> Bool

    var evaluator: PlanEvaluator { scorer.evaluator }

    func evaluate(_ plan: CompressionPlan, _ store: ActivationStore, _ cutoff: LossCutoff?) throws -> ScoreTally {
        try evaluation(scorer)(plan, store, cutoff)
    }

    /// This context on another scorer (the same data in another order, `PlanEvaluator.reordered(by:)`): it
    /// reports, pauses and cancels as this one does.
    func on(_ other: PlanScorer) -> JobContext {
        JobContext(scorer: other, evaluation: evaluation, report: report, isCancelled: isCancelled)
    }

    /// This context with each progress report passed through `report`.
    func reporting(_ report: @escaping @Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void) -> JobContext {
        JobContext(scorer: scorer, evaluation: evaluation, report: report, isCancelled: isCancelled)
    }

    /// Runs plans straight through on the calling thread (and the evaluator's workers).
    static func direct(scorer: PlanScorer, report: @escaping @Sendable (String, Int, Int) -> Void = { _, _, _ in },
                       isCancelled: @escaping @Sendable () -> Bool = { false }) -> JobContext {
        JobContext(scorer: scorer, evaluation: { scorer in
            { plan, store, cutoff in
                let prepared = try scorer.evaluator.prepare(plan)
                let tally = LockedBox(ScoreTally(metric: scorer.metric))
                guard let result = try scorer.score(prepared, store: store, tally: tally,
                                                    prefix: scorer.settledPrefix(cutoff), shouldStop: isCancelled) else {
                    throw CancellationError()
                }
                return result
            }
        }, report: report, isCancelled: isCancelled)
    }

    func checkCancellation() throws {
        if isCancelled() { throw CancellationError() }
    }
}
