import Foundation

/// Which layers one process sweeps when a big model is spread over machines:
/// shard `index` of `count` (1-based) takes the layers whose graph-order
/// position p satisfies p mod count = index − 1. Deterministic, so shards
/// never overlap and together cover every layer.
public struct SensitivityShard: Sendable, Equatable {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (1...count).contains(index) else {
            throw LatheError.badInput("--shard \(index)/\(count): expected i/n with 1 ≤ i ≤ n")
        }
        self.index = index
        self.count = count
    }

    /// Parses "i/n".
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw LatheError.badInput("--shard \(text): expected i/n, e.g. 1/4")
        }
        try self.init(index: i, count: n)
    }

    public func selects(position: Int) -> Bool { position % count == index - 1 }

    public var text: String { "\(index)/\(count)" }
}

/// What to sweep and where its results live.
public struct SensitivityRequest: Sendable {
    public var levels: SensitivityLevels
    /// Every other layer's settings during the sweep (nil: the uncompressed model).
    public var base: CompressionPlan?
    public var shard: SensitivityShard?
    /// Paths as the user gave them (informative) and fingerprints of the files' bytes.
    public var model: String
    public var modelHash: String
    public var data: String?
    public var dataHash: String?
    /// Where results are kept between runs (nil: not kept).
    public var cache: SensitivityCache?
    /// The evaluation set's name when there are several (part of the cache key); nil for one set.
    public var setName: String?
    /// A level's pass stops once it is certain to lose at least this much against the baseline (`LossCutoff`); its
    /// entry then holds the value on the samples run and the best the whole set could reach
    /// (`SensitivityReport.Partial`). nil: every entry runs on every sample.
    public var stopLoss: Double?

    /// The command line's and the explorer's `stopLoss`: a level that certainly loses five points of top-1 (5% more
    /// error, noise at 5% of the signal's power) is far past what a compression plan can afford, and past it the
    /// heatmap and the search only need to know that it failed.
    public static let defaultStopLoss = 0.05

    /// With a stop loss, an entry scored by an argmax metric also stops once every sample left has a margin over
    /// this many times twice the largest output change seen (`MarginStop`).
    public static let marginFactor = MarginStop.defaultFactor

    public init(levels: SensitivityLevels, base: CompressionPlan? = nil, shard: SensitivityShard? = nil,
                model: String, modelHash: String, data: String? = nil, dataHash: String? = nil,
                cache: SensitivityCache? = nil, stopLoss: Double? = nil) {
        self.levels = levels
        self.base = base
        self.shard = shard
        self.stopLoss = stopLoss
        self.model = model
        self.modelHash = modelHash
        self.data = data
        self.dataHash = dataHash
        self.cache = cache
    }
}

/// Per-layer sensitivity analysis (see `SensitivityReport` for what is measured).
///
/// With data, each (layer, level) entry is the metric of the base plan with
/// only that layer replaced by the level, evaluated exactly as `lathe eval
/// --config` would. The base plan's pass keeps its checkpoints; each layer's
/// first entry computes the layer's input from the cached value before it and
/// keeps it, dropping that value (`ActivationStore.advancing`), so an entry
/// re-runs only what lies downstream of its layer's input while the cache holds
/// about one layer's inputs at a time. The entries' own activations are not
/// kept (no later entry shares them).
///
/// With a stop loss, an entry's pass stops at the first batches that make it
/// certain to lose that much (`LossCutoff`, `SettledPrefix`); its value is then
/// the metric on those samples (`SensitivityReport.Partial`).
public enum SensitivitySweep {
    /// SQNR in dB of `weight` quantized symmetric per-channel to `bits`:
    /// 10·log10(Σw² / Σ(w − w')²); +inf when the quantization is exact.
    public static func sqnr(weight: Tensor, layer: WeightLayer, bits: Int,
                            cache: CompressedWeightCache? = nil) throws -> Double {
        let settings = SensitivityLevels.settings(bits: bits)
        guard settings.changesWeights else { return .infinity }
        let key = CompressedWeightCache.Key(layers: [(layer.name, settings)])
        let quantized: Tensor
        if let cached = cache?.value(for: key)?[layer.name] {
            quantized = cached
        } else {
            quantized = try Compressor.compress(weight, layer: layer, settings: settings)
            cache?.store([layer.name: quantized], for: key)
        }
        var signal = 0.0, noise = 0.0
        for (w, q) in zip(weight.floats, quantized.floats) {
            signal += Double(w) * Double(w)
            let e = Double(w) - Double(q)
            noise += e * e
        }
        guard noise > 0, signal > 0 else { return .infinity }
        return 10 * log10(signal / noise)
    }

    /// Fingerprint of everything besides model and data that the numbers depend on.
    static func method(levels: SensitivityLevels, base: CompressionPlan?, evaluator: PlanEvaluator?,
                       outputName: String, setName: String? = nil, stopLoss: Double? = nil) -> String {
        var parts = ["lathe-sensitivity-1", "output=\(outputName)",
                     "bits=\(levels.bits)", "prune=\(levels.prune)", "clusters=\(levels.clusters)"]
        if let setName { parts.append("set=\(setName)") }
        if let stopLoss, evaluator != nil { parts.append("stop-loss=\(stopLoss)") }
        if let evaluator, stopsOnMargins(evaluator: evaluator, base: base, stopLoss: stopLoss) {
            parts.append("margin-order margin-factor=\(MarginStop.defaultFactor)")
        }
        if let evaluator {
            parts.append("metric=\(evaluator.scoring.metric.rawValue) class-axis=\(evaluator.scoring.classAxis ?? 0)")
            parts.append("batch=\(evaluator.schedule.batchSize)")
            parts.append("calibration=\(evaluator.options.calibrationSamples)")
            if !levels.gptq.isEmpty {
                parts.append("gptq=\(levels.gptq) calibration-data=\(evaluator.calibrationSource)")
            }
            if let base, !base.isIdentity {
                parts.append("base=" + ConfigWriter.renderJSON(CompressionConfig(plan: base)))
                // A base with `abits` has its ranges calibrated on the evaluator's calibration data (the first
                // set's, or --calib), which a further set's numbers then depend on.
                if base.layerNames.contains(where: { base.settings(for: $0).activationBits != nil }) {
                    parts.append("activation-calibration-data=\(evaluator.calibrationSource)")
                }
            }
        } else {
            parts.append("data-free")
        }
        return ContentHash.hex(of: parts.joined(separator: "\n"))
    }

    /// Whether entries visit the samples least certain first and stop once the rest keep their predictions
    /// (`MarginStop`): with a stop loss (`--stop-at none` runs every sample), an argmax metric over class scores,
    /// and the uncompressed model as the base (whose outputs the margins are taken from).
    static func stopsOnMargins(evaluator: PlanEvaluator, base: CompressionPlan?, stopLoss: Double?) -> Bool {
        let scoring = evaluator.scoring
        return stopLoss != nil && (base?.isIdentity ?? true) && [.top1, .agree].contains(scoring.metric)
            && scoring.classAxis != nil && !scoring.predictionsGiven
    }

    /// Data-free analysis: SQNR per bit-width for every selected layer.
    public static func dataFree(session: InferenceSession, request: SensitivityRequest) throws -> SensitivityReport {
        try request.levels.validate()
        let method = self.method(levels: request.levels, base: nil, evaluator: nil, outputName: session.outputName)
        var report = start(request, layers: session.layers, method: method, metric: nil, samples: 0)
        try fillSQNR(&report, session: session, levels: request.levels, cache: nil)
        report.updateScores()
        request.cache?.save(report)
        return report
    }

    /// A sweep with data run straight through (the command line's).
    public static func run(evaluator: PlanEvaluator, request: SensitivityRequest,
                           progress: (@Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void)? = nil,
                           isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> SensitivityReport {
        let context = JobContext.direct(scorer: PlanScorer(evaluator: evaluator),
                                        report: progress ?? { _, _, _ in }, isCancelled: isCancelled)
        return try run(request, context: context)
    }

    /// A sweep on each of several sets, run straight through (the command line's).
    public static func run(sets: [EvaluationSet], request: SensitivityRequest,
                           progress: (@Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void)? = nil,
                           isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> SensitivitySets {
        let contexts = sets.map { set in
            JobContext.direct(scorer: PlanScorer(evaluator: set.evaluator), report: progress ?? { _, _, _ in },
                              isCancelled: isCancelled)
        }
        return try run(request, sets: sets, contexts: contexts)
    }

    /// The sweep on every set in turn (one context per set, in order), each as `run(_:context:)`;
    /// with several sets, with the set's data, hash and name (part of the cache key); progress phases start with the
    /// set's name. `onUpdate` sees the sets started so far.
    static func run(_ request: SensitivityRequest, sets: [EvaluationSet], contexts: [JobContext],
                    onUpdate: (SensitivitySets) -> Void = { _ in }) throws -> SensitivitySets {
        let names = sets.map(\.name)
        var done: [SensitivityReport] = []
        for (set, context) in zip(sets, contexts) {
            // One set: the request as given (its data and hash are that set's).
            var single = request
            if sets.count > 1 {
                single.data = set.data
                single.dataHash = set.dataHash
                single.setName = set.name
            }
            let named = sets.count == 1 ? context : context.reporting { phase, finished, total in
                context.report("\(set.name): \(phase)", finished, total)
            }
            let previous = done
            let report = try run(single, context: named) { partial in
                onUpdate(SensitivitySets(names: names, reports: previous + [partial]))
            }
            done.append(report)
        }
        return SensitivitySets(names: names, reports: done)
    }

    /// The sweep as a job: resumes from the disk cache, reports progress per
    /// entry and hands each partial report to `onUpdate`.
    static func run(_ request: SensitivityRequest, context: JobContext,
                    onUpdate: (SensitivityReport) -> Void = { _ in }) throws -> SensitivityReport {
        try request.levels.validate()
        let evaluator = context.evaluator
        let session = evaluator.session
        let layers = session.layers
        let base = request.base ?? CompressionPlan.identity(layers: layers)
        try base.validate(layers: layers)
        if let loss = request.stopLoss, !(loss.isFinite && loss > 0) {
            throw LatheError.badInput("the stop loss must be a positive number, got \(loss)")
        }
        let method = self.method(levels: request.levels, base: request.base, evaluator: evaluator,
                                 outputName: session.outputName, setName: request.setName, stopLoss: request.stopLoss)
        var report = start(request, layers: layers, method: method, metric: context.scorer.metric,
                           samples: evaluator.schedule.sampleCount)

        try fillSQNR(&report, session: session, levels: request.levels, cache: evaluator.weightCache)
        onUpdate(report)

        // Work left: entries missing from the cache, except levels equal to the base settings.
        var work: [(layer: Int, level: SensitivityLevel)] = []
        for (position, entry) in report.layers.enumerated() {
            for level in request.levels.entries where entry.value(at: level) == nil && !entry.notApplicable.contains(level) {
                work.append((position, level))
            }
        }
        let total = work.count + 1
        context.report("baseline", 0, total)
        var cutoff: LossCutoff?
        // Entries run on this context: the given one, or the same data least certain first (`MarginStop`).
        var entries = context
        if report.baseline.value == nil || !work.isEmpty {
            let marginOrder = !work.isEmpty
                && stopsOnMargins(evaluator: evaluator, base: request.base, stopLoss: request.stopLoss)
            // Also warms the activation cache's checkpoints, from which each layer's first entry computes that
            // layer's input and keeps it for the entries after it (`ActivationStore.advancing`); in the margin
            // order, from the checkpoints gathered into its batches.
            let tally = try context.evaluate(base, .checkpoints, nil)
            report.baseline.value = tally.value
            if let loss = request.stopLoss, let reference = SensitivitySets.reference(report.baseline) {
                cutoff = LossCutoff(metric: context.scorer.metric, loss: loss, baseline: reference, whole: tally.totals)
            }
            if marginOrder, let margins = context.scorer.sampleMargins() {
                let scorer = PlanScorer(evaluator: try evaluator.reordered(
                    by: MarginStop.order(evaluator.schedule.order, margins: margins)), reordering: context.scorer)
                entries = context.on(scorer)
                _ = try scorer.useMarginStop(margins: margins)
            }
        }
        onUpdate(report)
        var done = 1
        for (index, item) in work.enumerated() {
            try context.checkCancellation()
            let name = report.layers[item.layer].name
            context.report("\(name) \(item.level.phaseLabel)", done, total)
            let settings = item.level.settings
            if settings.canonical == base.settings(for: name).canonical {
                if let value = report.baseline.value { report.layers[item.layer].set(value, at: item.level) }
            } else {
                var plan = base
                plan.set(settings, for: name)
                let position = layers.firstIndex { $0.name == name } ?? 0
                let tally = try entries.evaluate(plan, .advancing(base, layer: position), cutoff)
                if let value = tally.value {
                    report.layers[item.layer].set(value, at: item.level)
                    if tally.samples < evaluator.schedule.sampleCount, let best = cutoff?.bestValue(after: tally.totals) {
                        report.layers[item.layer].partial[item.level] = .init(samples: tally.samples, bound: best)
                    }
                    if tally.unchangedByMargin > 0 {
                        report.layers[item.layer].settledByMargin[item.level] = tally.samples - tally.unchangedByMargin
                    }
                }
            }
            done += 1
            let layerFinished = index + 1 == work.count || work[index + 1].layer != item.layer
            if layerFinished {
                report.updateScores()
                request.cache?.save(report)
                onUpdate(report)
            }
        }
        report.updateScores()
        request.cache?.save(report)
        context.report("done", total, total)
        onUpdate(report)
        return report
    }

    /// A report for the selected layers, filled with whatever the disk cache holds.
    static func start(_ request: SensitivityRequest, layers: [WeightLayer], method: String, metric: ScoreMetric?,
                      samples: Int) -> SensitivityReport {
        let selected = layers.enumerated().filter { request.shard?.selects(position: $0.offset) ?? true }.map(\.element)
        let baseline = SensitivityReport.Baseline(
            metric: metric, value: nil, samples: samples, model: request.model, modelHash: request.modelHash,
            data: request.data, dataHash: request.dataHash, method: method, levels: request.levels,
            layerOrder: layers.map(\.name), shard: request.shard?.text, stopLoss: metric == nil ? nil : request.stopLoss)
        var report = SensitivityReport(baseline: baseline, layers: selected.map { layer in
            var entry = SensitivityReport.Layer(name: layer.name)
            entry.notApplicable = Set(request.levels.entries.filter { $0.settings.problem(for: layer) != nil })
            return entry
        })
        if let cached = request.cache?.load(modelHash: request.modelHash, dataHash: request.dataHash, method: method) {
            report.baseline.value = cached.baseline.value
            for index in report.layers.indices {
                if let old = cached.layer(named: report.layers[index].name) { report.layers[index].fill(from: old) }
            }
        }
        report.updateScores()
        return report
    }

    static func fillSQNR(_ report: inout SensitivityReport, session: InferenceSession, levels: SensitivityLevels,
                         cache: CompressedWeightCache?) throws {
        let byName = Dictionary(session.layers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for index in report.layers.indices {
            guard let layer = byName[report.layers[index].name], let weight = session.weights[layer.name],
                  weight.isFloat else { continue }
            for bits in levels.bits where report.layers[index].sqnrDB[bits] == nil {
                report.layers[index].sqnrDB[bits] = try sqnr(weight: weight, layer: layer, bits: bits, cache: cache)
            }
        }
    }
}
