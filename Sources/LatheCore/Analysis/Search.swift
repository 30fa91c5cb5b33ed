import Foundation

/// Automatic mixed-precision search: the Pareto front of metric against size.
///
/// 1. A sensitivity sweep measures each layer alone at every candidate
///    quantization (round-to-nearest per bit-width, GPTQ below 8 bits) and
///    pruning ratio; it shares `lathe sensitivity`'s disk cache.
/// 2. `SearchKnapsack` predicts, for any size budget, the per-layer choice
///    with the least summed degradation (a multiple-choice knapsack solved
///    exactly by dynamic programming).
/// 3. Real evaluations correct the prediction (layers interact): uniform int8,
///    int4 and fp16 as references, then knapsack plans at budgets spread
///    geometrically over the whole size range, then, by the constraint:
///    - quality budgets (`--max-drop`, `--min-sqnr`, `--max-increase`): a
///      bisection over budgets between the smallest plan measured to fit and
///      the largest measured not to, then single-layer shrinking moves on top
///      of the best (cheapest predicted drop per byte first), each kept only
///      when measured to still fit;
///    - size budgets: the knapsack plan at the budget, and every measured plan
///      within it;
///    - the front alone: more budgets where the measured front has its widest
///      metric gaps.
///    The front is every measured plan no other beats on both size and metric.
///
/// With several evaluation sets, the sweep runs on each, predictions follow the
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

    /// Where the search's sweep may stop a level early. A level certain to lose more than the constraint allows
    /// can never be part of a plan that meets it (the predicted drops add up and none is negative), so past twice
    /// the allowance (and at least the default, which `lathe sensitivity` shares the cache with) its exact loss
    /// does not matter. A size target trades losses against each other, so its sweep runs every level in full.
    static func sweepStopLoss(_ constraint: SearchConstraint, metric: ScoreMetric) -> Double? {
        // The sweep's baseline is the uncompressed model: an SQNR of +∞.
        let allowed = constraint.allowedDegradation(metric: metric, baseline: metric == .sqnr ? .infinity : 0)
        guard allowed.isFinite else { return nil }
        return max(SensitivityRequest.defaultStopLoss, 2 * allowed)
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
                                            prune: Set(request.prune).sorted(), clusters: [],
                                            gptq: SearchCandidates.gptqBits(request))
        let sweepContexts = contexts.map { context in
            context.reporting { phase, done, total in context.report("sweep: \(phase)", done, total) }
        }
        let sweeps = try SensitivitySweep.run(
            SensitivityRequest(levels: sweepLevels, model: request.model, modelHash: request.modelHash,
                               data: request.data, dataHash: request.dataHash, cache: request.cache,
                               stopLoss: sweepStopLoss(request.constraint, metric: metric)),
            sets: sets, contexts: sweepContexts, onUpdate: onSweepUpdate)
        let baselines = try sweeps.reports.map { report -> Double in
            guard let value = report.baseline.value else {
                throw LatheError.internalFailure("the sweep produced no baseline value")
            }
            return value
        }
        let sensitivity = sweeps.worst

        let fixed = SearchCandidates.fixedBytes(evaluator: evaluator)
        let knapsack = SearchCandidates.knapsack(layers: layers, weights: evaluator.session.weights,
                                                 sensitivity: sensitivity, request: request, fixedBytes: fixed)
        var state = SearchState(request: request, contexts: contexts, evaluator: evaluator, knapsack: knapsack)
        let int8 = evaluator.sizeReport(CompressionPlan(layers: layers, defaults: LayerSettings(bits: .integer(8))))
        state.record(SearchPoint(sizeBytes: evaluator.baselineBytes, value: baselines[0], label: "fp32",
                                 plan: .identity(layers: layers), setValues: baselines))
        try state.measureReferences()
        try state.spreadOverSizes()

        let best: SearchPoint
        let satisfied: Bool
        switch request.constraint {
        case .maxDrop, .minSQNR, .maxIncrease:
            let constraint = request.constraint
            (best, satisfied) = try state.minimiseSize(fitting: { point in
                zip(point.setValues, baselines).allSatisfy { constraint.accepts($0, metric: metric, baseline: $1) }
            })
        case .targetRatio, .targetSize:
            let budget = request.constraint.budget(baselineBytes: evaluator.baselineBytes) ?? 0
            (best, satisfied) = try state.withinBudget(budget, metric: metric)
        case .frontOnly:
            try state.fillFrontGaps(metric: metric)
            best = state.visited[0]
            satisfied = true
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
    let knapsack: SearchKnapsack
    var visited: [SearchPoint] = []
    var evaluations = 0

    init(request: SearchRequest, contexts: [JobContext], evaluator: PlanEvaluator, knapsack: SearchKnapsack) {
        self.request = request
        self.contexts = contexts
        self.evaluator = evaluator
        self.knapsack = knapsack
    }

    var budgetLeft: Bool { evaluations < request.maxEvaluations }

    mutating func record(_ point: SearchPoint) { visited.append(point) }

    /// The plan's metric on every set (one evaluation, whatever the number of sets); a plan
    /// measured before is not measured again.
    mutating func measure(_ plan: CompressionPlan, label: String) throws -> SearchPoint {
        let canonical = plan.canonical
        if let known = visited.first(where: { $0.plan.canonical == canonical }) { return known }
        var values: [Double] = []
        for context in contexts {
            try context.checkCancellation()
            contexts[0].report("evaluating \(label)", evaluations, request.maxEvaluations)
            values.append(try context.evaluate(plan, .checkpoints, nil).value ?? 0)
        }
        evaluations += 1
        let point = SearchPoint(sizeBytes: evaluator.sizeReport(plan).totalBytes, value: values.first ?? 0,
                                label: label, plan: plan, setValues: values)
        visited.append(point)
        return point
    }

    func plan(_ settings: [String: LayerSettings]) -> CompressionPlan {
        CompressionPlan(layers: evaluator.layers, settings: settings)
    }

    /// The knapsack's plan within `budget` bytes, measured (nil when no plan is that small or no evaluation is left).
    mutating func measureKnapsack(within budget: Int) throws -> SearchPoint? {
        guard budgetLeft, let settings = knapsack.settings(within: budget) else { return nil }
        return try measure(plan(settings), label: "knapsack ≤ \(budget) B")
    }

    /// Uniform int8, int4 and fp16 over every layer that takes them: the front must beat them.
    mutating func measureReferences() throws {
        let references: [(String, LayerSettings)] = [("uniform int8", LayerSettings(bits: .integer(8))),
                                                     ("uniform int4", LayerSettings(bits: .integer(4))),
                                                     ("uniform fp16", LayerSettings(bits: .fp16))]
        for (label, settings) in references where budgetLeft {
            var perLayer: [String: LayerSettings] = [:]
            for layer in evaluator.layers where settings.problem(for: layer) == nil { perLayer[layer.name] = settings }
            _ = try measure(plan(perLayer), label: label)
        }
    }

    /// Knapsack plans at budgets spread geometrically from the smallest plan to the largest.
    mutating func spreadOverSizes() throws {
        let count = min(8, max(2, request.maxEvaluations / 4))
        let low = Double(max(1, knapsack.smallestBytes)), high = Double(max(knapsack.smallestBytes, knapsack.largestBytes))
        for step in 0..<count where budgetLeft {
            let fraction = Double(step) / Double(count - 1)
            _ = try measureKnapsack(within: Int((low * pow(high / low, fraction)).rounded(.down)))
        }
    }

    /// Smallest plan measured to satisfy `fits`: bisection over knapsack budgets, then shrinking moves on top.
    mutating func minimiseSize(fitting fits: (SearchPoint) -> Bool) throws -> (SearchPoint, Bool) {
        guard var best = visited.filter(fits).min(by: { ($0.sizeBytes, $0.label) < ($1.sizeBytes, $1.label) }) else {
            return (visited[0], false)
        }
        // The largest budget known not to give a fitting plan.
        var low = visited.filter { !fits($0) && $0.sizeBytes < best.sizeBytes }.map(\.sizeBytes).max()
            ?? (knapsack.smallestBytes - 1)
        while budgetLeft, best.sizeBytes - low > knapsack.unit {
            let middle = low + (best.sizeBytes - low) / 2
            guard let point = try measureKnapsack(within: middle) else { low = middle; continue }
            if fits(point), point.sizeBytes < best.sizeBytes {
                best = point
            } else {
                low = middle
            }
        }
        // Shrinking moves, one layer at a time; a layer whose move fails is left where it is.
        var settings = Dictionary(uniqueKeysWithValues: evaluator.layers.map { ($0.name, best.plan.settings(for: $0.name)) })
        var frozen = Set<String>()
        while budgetLeft {
            guard let move = knapsack.shrinkingMoves(from: settings).first(where: { !frozen.contains($0.layer) }) else { break }
            var trial = settings
            trial[move.layer] = move.to.settings
            let point = try measure(plan(trial), label: "\(best.label) + \(move.layer) \(Self.describe(move.to.settings))")
            if fits(point), point.sizeBytes < best.sizeBytes {
                best = point
                settings = trial
            } else {
                frozen.insert(move.layer)
            }
        }
        return (best, true)
    }

    /// The best plan measured within `budget` bytes (the knapsack's at the budget measured first).
    mutating func withinBudget(_ budget: Int, metric: ScoreMetric) throws -> (SearchPoint, Bool) {
        _ = try measureKnapsack(within: budget)
        let fitting = visited.filter { $0.sizeBytes <= budget }
        // The first of equally good points: the earliest measured.
        guard let best = fitting.max(by: { metric.isBetter($1.value, than: $0.value) }) else {
            return (visited.min { $0.sizeBytes < $1.sizeBytes } ?? visited[0], false)
        }
        return (best, true)
    }

    /// Spends what is left of the evaluations where the front's metric jumps most between neighbours.
    mutating func fillFrontGaps(metric: ScoreMetric) throws {
        var tried = Set<Int>()
        while budgetLeft {
            let front = SearchOutcome.front(of: visited, metric: metric)
            let gaps = zip(front, front.dropFirst())
                .map { (low: $0.sizeBytes, high: $1.sizeBytes, gap: abs($1.value - $0.value)) }
                .filter { $0.high - $0.low > 2 * knapsack.unit && !tried.contains($0.low + ($0.high - $0.low) / 2) }
            guard let widest = gaps.max(by: { $0.gap < $1.gap }) else { break }
            let middle = widest.low + (widest.high - widest.low) / 2
            tried.insert(middle)
            _ = try measureKnapsack(within: middle)
        }
    }

    static func describe(_ settings: LayerSettings) -> String {
        var parts = ["bits \(settings.bits.configValue)"]
        if settings.method != .rtn { parts.append(settings.method.rawValue) }
        if settings.prune > 0 { parts.append("prune \(SensitivityReport.key(settings.prune))") }
        return parts.joined(separator: " ")
    }
}
