import Foundation

/// Automatic mixed-precision search.
///
/// 1. A sensitivity sweep over the candidate bit-widths and pruning ratios
///    (shared with `lathe sensitivity` through the disk cache) predicts each
///    layer's metric drop per candidate.
/// 2. `SearchPath` orders single-layer moves by predicted drop per byte saved.
/// 3. Real evaluations pick the point on that path:
///    - quality budgets (`--max-drop`, `--min-sqnr`, `--max-increase`): the start plan, the longest prefix predicted to fit, then a
///      binary search over prefixes for the longest measured to fit; then each
///      later move is tried alone on top (a layer whose move fails is frozen),
///      keeping those that still fit — until the evaluation budget runs out.
///      Every accepted plan was measured, so the answer meets the constraint
///      whenever the start plan does.
///    - size budgets: the shortest prefix within the budget (sizes are exact),
///      measured.
///
/// With several evaluation sets, the sweep runs on each, the path follows the
/// worst drop over the sets (`SensitivitySets.worst`), every plan is measured
/// on every set, and a plan fits only when it holds the budget on each set
/// against that set's own uncompressed baseline.
public enum Search {
    /// The search run straight through (the command line's).
    public static func run(evaluator: PlanEvaluator, request: SearchRequest,
                           progress: (@Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void)? = nil,
                           isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> SearchOutcome {
        let context = JobContext.direct(scorer: PlanScorer(evaluator: evaluator),
                                        report: progress ?? { _, _, _ in }, isCancelled: isCancelled)
        return try run(request, sets: [EvaluationSet(evaluator: evaluator)], contexts: [context])
    }

    /// The search on several evaluation sets, run straight through (the command line's).
    public static func run(sets: [EvaluationSet], request: SearchRequest,
                           progress: (@Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void)? = nil,
                           isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> SearchOutcome {
        let contexts = sets.map { set in
            JobContext.direct(scorer: PlanScorer(evaluator: set.evaluator), report: progress ?? { _, _, _ in },
                              isCancelled: isCancelled)
        }
        return try run(request, sets: sets, contexts: contexts)
    }

    /// One context per set, in order; the first set's context reports progress.
    static func run(_ request: SearchRequest, sets: [EvaluationSet], contexts: [JobContext],
                    onSweepUpdate: (SensitivitySets) -> Void = { _ in }) throws -> SearchOutcome {
        try request.validate()
        guard let context = contexts.first, contexts.count == sets.count else {
            throw LatheError.internalFailure("the search needs one job context per evaluation set")
        }
        let metric = context.scorer.metric
        try request.constraint.check(metric: metric)
        let evaluator = context.evaluator
        let layers = evaluator.layers
        let sweepLevels = SensitivityLevels(bits: Set(request.bits).filter { $0 != 32 }.sorted(),
                                            prune: Set(request.prune).sorted(), clusters: [])
        let sweepContexts = contexts.map { context in
            JobContext(scorer: context.scorer, evaluate: context.evaluate,
                       report: { phase, done, total in context.report("sweep: \(phase)", done, total) },
                       isCancelled: context.isCancelled)
        }
        let sweeps = try SensitivitySweep.run(
            SensitivityRequest(levels: sweepLevels, model: request.model, modelHash: request.modelHash,
                               data: request.data, dataHash: request.dataHash, cache: request.cache),
            sets: sets, contexts: sweepContexts, onUpdate: onSweepUpdate)
        let baselines = try sweeps.reports.map { report -> Double in
            guard let value = report.baseline.value else {
                throw LatheError.internalFailure("the sweep produced no baseline value")
            }
            return value
        }
        let sensitivity = sweeps.worst

        let path = SearchPath(layers: layers, weights: evaluator.session.weights, sensitivity: sensitivity,
                              bits: request.bits, prune: request.prune)
        var state = SearchState(request: request, contexts: contexts, evaluator: evaluator, path: path)
        let int8 = evaluator.sizeReport(CompressionPlan(layers: layers, defaults: LayerSettings(bits: .integer(8))))

        let best: SearchPoint
        let satisfied: Bool
        switch request.constraint {
        case .maxDrop, .minSQNR, .maxIncrease:
            let constraint = request.constraint
            // Every set against its own baseline; the prediction's budget is the tightest over the sets.
            (best, satisfied) = try state.minimiseSize(
                fitting: { point in
                    zip(point.setValues, baselines).allSatisfy { constraint.accepts($0, metric: metric, baseline: $1) }
                },
                predictedBudget: baselines.map { constraint.allowedDegradation(metric: metric, baseline: $0) }.min()
                    ?? 0)
        case .targetRatio, .targetSize:
            let budget = request.constraint.budget(baselineBytes: evaluator.baselineBytes) ?? 0
            (best, satisfied) = try state.withinBudget(budget)
        }
        context.report("done", state.evaluations, state.evaluations)
        var outcome = SearchOutcome(plan: best.plan, sizeBytes: best.sizeBytes, baselineBytes: evaluator.baselineBytes,
                                    int8Bytes: int8.totalBytes, metric: metric, value: best.value,
                                    baselineValue: baselines[0], satisfied: satisfied,
                                    constraint: request.constraint, visited: state.visited,
                                    evaluations: state.evaluations)
        outcome.sets = zip(sets, zip(best.setValues, baselines)).map { set, numbers in
            SearchOutcome.SetResult(name: set.name, value: numbers.0, baselineValue: numbers.1)
        }
        return outcome
    }
}

/// The search's measurements so far.
private struct SearchState {
    let request: SearchRequest
    /// One per evaluation set; the first reports progress.
    let contexts: [JobContext]
    let evaluator: PlanEvaluator
    let path: SearchPath
    var visited: [SearchPoint] = []
    var evaluations = 0

    init(request: SearchRequest, contexts: [JobContext], evaluator: PlanEvaluator, path: SearchPath) {
        self.request = request
        self.contexts = contexts
        self.evaluator = evaluator
        self.path = path
    }

    var budgetLeft: Bool { evaluations < request.maxEvaluations }

    /// The plan's metric on every set (one evaluation, whatever the number of sets).
    mutating func measure(_ plan: CompressionPlan, label: String) throws -> SearchPoint {
        var values: [Double] = []
        for context in contexts {
            try context.checkCancellation()
            contexts[0].report("evaluating \(label)", evaluations, request.maxEvaluations)
            values.append(try context.evaluate(plan, true).value ?? 0)
        }
        evaluations += 1
        var point = SearchPoint(sizeBytes: evaluator.sizeReport(plan).totalBytes, value: values.first ?? 0,
                                label: label, plan: plan)
        point.setValues = values
        visited.append(point)
        return point
    }

    func prefix(_ count: Int) -> CompressionPlan { path.plan(layers: evaluator.layers, after: count) }

    /// Smallest plan measured to satisfy `fits`: prefix search, then single moves on top.
    mutating func minimiseSize(fitting fits: (SearchPoint) -> Bool,
                               predictedBudget: Double) throws -> (SearchPoint, Bool) {
        let moveCount = path.moves.count
        let start = try measure(prefix(0), label: "start")
        guard fits(start) else { return (start, false) }
        var best = start
        var low = 0, high = moveCount + 1  // prefix `low` measured to fit; `high` assumed not to
        let predicted = (0...moveCount).last { path.predictedDrop(after: $0) <= predictedBudget } ?? 0
        if predicted > 0 {
            let point = try measure(prefix(predicted), label: "path \(predicted)")
            if fits(point) { low = predicted; best = point } else { high = predicted }
        }
        while high - low > 1, budgetLeft {
            let middle = (low + high) / 2
            let point = try measure(prefix(middle), label: "path \(middle)")
            if fits(point) { low = middle; best = point } else { high = middle }
        }
        // Single moves beyond the prefix, in path order; a layer whose move fails stays where it is.
        var accepted: [SearchPath.Move] = []
        var frozen = Set<String>()
        if low < moveCount { frozen.insert(path.moves[low].layer) }
        for move in path.moves.dropFirst(low + 1) where budgetLeft {
            guard !frozen.contains(move.layer) else { continue }
            let plan = path.plan(layers: evaluator.layers, after: low, extra: accepted + [move])
            let point = try measure(plan, label: "path \(low) + \(accepted.count + 1) moves (\(move.label))")
            if fits(point) {
                accepted.append(move)
                if point.sizeBytes <= best.sizeBytes { best = point }
            } else {
                frozen.insert(move.layer)
            }
        }
        return (best, true)
    }

    /// The shortest prefix within `budget` bytes, measured.
    mutating func withinBudget(_ budget: Int) throws -> (SearchPoint, Bool) {
        let moveCount = path.moves.count
        let count = (0...moveCount).first { evaluator.sizeReport(prefix($0)).totalBytes <= budget } ?? moveCount
        let point = try measure(prefix(count), label: count == 0 ? "start" : "path \(count)")
        return (point, point.sizeBytes <= budget)
    }
}
