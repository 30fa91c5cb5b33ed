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
public enum Search {
    /// The search run straight through (the command line's).
    public static func run(evaluator: PlanEvaluator, request: SearchRequest,
                           progress: (@Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void)? = nil,
                           isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> SearchOutcome {
        let context = JobContext.direct(scorer: PlanScorer(evaluator: evaluator),
                                        report: progress ?? { _, _, _ in }, isCancelled: isCancelled)
        return try run(request, context: context)
    }

    static func run(_ request: SearchRequest, context: JobContext,
                    onSweepUpdate: (SensitivityReport) -> Void = { _ in }) throws -> SearchOutcome {
        try request.validate()
        let metric = context.scorer.metric
        try request.constraint.check(metric: metric)
        let evaluator = context.evaluator
        let layers = evaluator.layers
        let sweepLevels = SensitivityLevels(bits: Set(request.bits).filter { $0 != 32 }.sorted(),
                                            prune: Set(request.prune).sorted(), clusters: [])
        let sweepContext = JobContext(scorer: context.scorer, evaluate: context.evaluate,
                                      report: { phase, done, total in context.report("sweep: \(phase)", done, total) },
                                      isCancelled: context.isCancelled)
        let sensitivity = try SensitivitySweep.run(
            SensitivityRequest(levels: sweepLevels, model: request.model, modelHash: request.modelHash,
                               data: request.data, dataHash: request.dataHash, cache: request.cache),
            context: sweepContext, onUpdate: onSweepUpdate)
        guard let baselineValue = sensitivity.baseline.value else {
            throw LatheError.internalFailure("the sweep produced no baseline value")
        }

        let path = SearchPath(layers: layers, weights: evaluator.session.weights, sensitivity: sensitivity,
                              bits: request.bits, prune: request.prune)
        var state = SearchState(request: request, context: context, evaluator: evaluator, path: path)
        let int8 = evaluator.sizeReport(CompressionPlan(layers: layers, defaults: LayerSettings(bits: .integer(8))))

        let best: SearchPoint
        let satisfied: Bool
        switch request.constraint {
        case .maxDrop, .minSQNR, .maxIncrease:
            let constraint = request.constraint
            (best, satisfied) = try state.minimiseSize(
                fitting: { constraint.accepts($0, metric: metric, baseline: baselineValue) },
                predictedBudget: constraint.allowedDegradation(metric: metric, baseline: baselineValue))
        case .targetRatio, .targetSize:
            let budget = request.constraint.budget(baselineBytes: evaluator.baselineBytes) ?? 0
            (best, satisfied) = try state.withinBudget(budget)
        }
        context.report("done", state.evaluations, state.evaluations)
        return SearchOutcome(plan: best.plan, sizeBytes: best.sizeBytes, baselineBytes: evaluator.baselineBytes,
                             int8Bytes: int8.totalBytes, metric: metric, value: best.value,
                             baselineValue: baselineValue, satisfied: satisfied, constraint: request.constraint,
                             visited: state.visited, evaluations: state.evaluations)
    }
}

/// The search's measurements so far.
private struct SearchState {
    let request: SearchRequest
    let context: JobContext
    let evaluator: PlanEvaluator
    let path: SearchPath
    var visited: [SearchPoint] = []
    var evaluations = 0

    init(request: SearchRequest, context: JobContext, evaluator: PlanEvaluator, path: SearchPath) {
        self.request = request
        self.context = context
        self.evaluator = evaluator
        self.path = path
    }

    var budgetLeft: Bool { evaluations < request.maxEvaluations }

    mutating func measure(_ plan: CompressionPlan, label: String) throws -> SearchPoint {
        try context.checkCancellation()
        context.report("evaluating \(label)", evaluations, request.maxEvaluations)
        let value = try context.evaluate(plan, true).value ?? 0
        evaluations += 1
        let point = SearchPoint(sizeBytes: evaluator.sizeReport(plan).totalBytes, value: value, label: label,
                                plan: plan)
        visited.append(point)
        return point
    }

    func prefix(_ count: Int) -> CompressionPlan { path.plan(layers: evaluator.layers, after: count) }

    /// Smallest plan measured to satisfy `fits`: prefix search, then single moves on top.
    mutating func minimiseSize(fitting fits: (Double) -> Bool,
                               predictedBudget: Double) throws -> (SearchPoint, Bool) {
        let moveCount = path.moves.count
        let start = try measure(prefix(0), label: "start")
        guard fits(start.value) else { return (start, false) }
        var best = start
        var low = 0, high = moveCount + 1  // prefix `low` measured to fit; `high` assumed not to
        let predicted = (0...moveCount).last { path.predictedDrop(after: $0) <= predictedBudget } ?? 0
        if predicted > 0 {
            let point = try measure(prefix(predicted), label: "path \(predicted)")
            if fits(point.value) { low = predicted; best = point } else { high = predicted }
        }
        while high - low > 1, budgetLeft {
            let middle = (low + high) / 2
            let point = try measure(prefix(middle), label: "path \(middle)")
            if fits(point.value) { low = middle; best = point } else { high = middle }
        }
        // Single moves beyond the prefix, in path order; a layer whose move fails stays where it is.
        var accepted: [SearchPath.Move] = []
        var frozen = Set<String>()
        if low < moveCount { frozen.insert(path.moves[low].layer) }
        for move in path.moves.dropFirst(low + 1) where budgetLeft {
            guard !frozen.contains(move.layer) else { continue }
            let plan = path.plan(layers: evaluator.layers, after: low, extra: accepted + [move])
            let point = try measure(plan, label: "path \(low) + \(accepted.count + 1) moves (\(move.label))")
            if fits(point.value) {
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
