import ArgumentParser
import Foundation
import LatheCore

/// `lathe search`: automatic mixed-precision search under an accuracy or size constraint.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Build the Pareto front of size against accuracy over per-layer bit-widths, rounding methods and pruning, and pick a point.",
        discussion: """
            A sensitivity sweep measures every layer alone at every candidate (shared with `lathe \
            sensitivity` through its cache); a knapsack over the layers predicts the best plan for each \
            size budget; real evaluations measure uniform int8/int4/fp16 and knapsack plans across the \
            size range, then refine near the constraint. Prints the front of the plans measured and, \
            with --out, writes the chosen configuration (v1) with its measured numbers in a comment. \
            --pareto without a constraint builds the front only.
            """
    )

    @OptionGroup var inputs: ModelDataOptions

    @Option(name: .customLong("max-drop"),
            help: "Largest allowed drop of top-1, agreement or cosine below fp32, as a fraction, e.g. 0.01.")
    var maxDrop: Double?

    @Option(name: .customLong("min-sqnr"), help: ArgumentHelp("Smallest allowed SQNR against the uncompressed "
                + "output (metric sqnr), e.g. 30.", valueName: "DB"))
    var minSQNR: Double?

    @Option(name: .customLong("max-increase"), help: ArgumentHelp("Largest allowed relative increase of the error "
                + "(metrics mse and mae) over fp32, e.g. 0.1.", valueName: "R"))
    var maxIncrease: Double?

    @Option(name: .customLong("target-ratio"), help: "Best accuracy with size at most baseline / RATIO.")
    var targetRatio: Double?

    @Option(name: .customLong("target-size"), help: "Best accuracy with size at most BYTES.")
    var targetSize: Int?

    @Option(help: "Candidate bit-widths per layer, comma-separated.")
    var bits: String = "2,3,4,5,6,8"

    @Option(help: "Candidate unstructured pruning ratios, comma-separated (none by default).")
    var prune: String?

    @Option(help: ArgumentHelp("Candidate rounding methods, comma-separated: rtn (always), gptq (each bit-width "
                + "below 8 also rounded by GPTQ, calibrated as --calib says).", valueName: "LIST"))
    var methods: String = "rtn,gptq"

    @Option(name: .customLong("max-evals"), help: "Most real evaluations after the sweep.")
    var maxEvals: Int = 40

    @Flag(help: "Report the whole Pareto front, each point with its configuration (with --json: `points`); alone, without a constraint, build the front only.")
    var pareto = false

    @OptionGroup var calibration: CalibrationOptions

    @Option(help: "Write the chosen configuration here (YAML, or JSON for a .json path).")
    var out: String?

    @OptionGroup var scored: ScoredOutputOption

    @OptionGroup var batching: BatchOptions

    @OptionGroup var activationCache: ActivationCacheOption

    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the sensitivity cache.")
    var noCache = false

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        try inputs.checkData()
        try EngineCommandSupport.validate(batch: batching.batch, threads: batching.threads,
                                          cacheMB: activationCache.cacheMB)
        let given = [maxDrop != nil, minSQNR != nil, maxIncrease != nil, targetRatio != nil, targetSize != nil]
            .filter { $0 }.count
        guard given == 1 || (given == 0 && pareto) else {
            throw ValidationError("give exactly one of --max-drop, --min-sqnr, --max-increase, --target-ratio, "
                + "--target-size (or --pareto alone for the front only)")
        }
        if given == 0, out != nil {
            throw ValidationError("--out writes the chosen point: give a constraint to choose it (--max-drop, --target-size, …)")
        }
        try calibration.check()
    }

    var constraint: SearchConstraint {
        if let maxDrop { return .maxDrop(maxDrop) }
        if let minSQNR { return .minSQNR(minSQNR) }
        if let maxIncrease { return .maxIncrease(maxIncrease) }
        if let targetRatio { return .targetRatio(targetRatio) }
        if let targetSize { return .targetSize(targetSize) }
        return .frontOnly
    }

    func run() throws {
        let model = inputs.model
        let dataSets = try NamedDataFile.parse(inputs.data)
        let data = dataSets.first?.path ?? ""
        try InputFiles.checkReadable(model, what: "model")
        for set in dataSets { try InputFiles.checkReadable(set.path, what: "data") }
        if let out { try InputFiles.checkWritable(out, notOnto: [model] + dataSets.map(\.path)) }
        var request = SearchRequest(constraint: constraint,
                                    bits: try EngineCommandSupport.integers(bits, option: "--bits") ?? [],
                                    prune: try EngineCommandSupport.ratios(prune, option: "--prune") ?? [],
                                    methods: try Self.methods(methods), maxEvaluations: maxEvals, model: model,
                                    modelHash: "", data: data, cache: CommandCache.sensitivity(disabled: noCache))
        try request.validate()
        let loaded = try EngineCommandSupport.load(model: model, sets: dataSets, scored: scored,
                                                   batch: batching.batch, threads: batching.threads,
                                                   cacheMB: activationCache.cacheMB, calibration: calibration)
        if request.methods.contains(.gptq) && calibration.calib == nil {
            RecoveryCalibration.noteOverlap(data: data,
                                            samples: calibration.calibSamples ?? EvaluatorOptions().calibrationSamples)
        }
        request.modelHash = loaded.modelHash
        request.dataHash = loaded.dataHash
        let bar = ProgressBar()
        let outcome = try Loading.naming(model) {
            try Search.run(sets: loaded.sets, request: request) { phase, done, total in
                bar.update(phase, done: done, total: total)
            }
        }
        bar.finish()
        if let out {
            let metric = outcome.metric
            var metrics = [(metric.reportKey, metric.reportText(outcome.value)),
                           ("fp32_" + metric.reportKey, metric.reportText(outcome.baselineValue)),
                           ("size_bytes", String(outcome.sizeBytes)),
                           ("compression_ratio", String(format: "%.2f", outcome.compressionRatio)),
                           ("int8_size_bytes", String(outcome.int8Bytes)),
                           ("samples", String(loaded.evaluator.feedData.count))]
            if outcome.sets.count > 1 {
                for set in outcome.sets {
                    metrics.append(("\(set.name)_\(metric.reportKey)", metric.reportText(set.value)))
                    metrics.append(("\(set.name)_fp32_\(metric.reportKey)", metric.reportText(set.baselineValue)))
                }
            }
            try ConfigWriter.write(
                CompressionConfig(plan: outcome.plan, model: model), to: out,
                modelDescription: "\(model) (searched by lathe search, \(outcome.constraint.description))",
                metrics: metrics)
        }
        print(json ? Self.json(outcome, model: model, data: data, out: out, pareto: pareto).rendered()
                   : Self.text(outcome, out: out))
    }

    static func methods(_ text: String) throws -> [RoundingMethod] {
        try text.split(separator: ",").map { word in
            let name = word.trimmingCharacters(in: .whitespaces)
            guard let method = RoundingMethod(rawValue: name) else {
                throw LatheError.badInput("--methods: unknown method \"\(name)\" (known: "
                    + RoundingMethod.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            return method
        }
    }

    /// One measured point of the front, with the configuration that reproduces it.
    static func pointJSON(_ point: SearchPoint, metric: ScoreMetric, model: String) -> JSONValue {
        .object([("size_bytes", .int(point.sizeBytes)),
                 ("metric", .object([("name", .string(metric.rawValue)), ("value", .double(point.value))])),
                 ("label", .string(point.label)),
                 ("config", ConfigWriter.jsonValue(CompressionConfig(plan: point.plan, model: model)))])
    }

    static func json(_ outcome: SearchOutcome, model: String, data: String, out: String?, pareto: Bool) -> JSONValue {
        func point(_ p: SearchPoint) -> JSONValue {
            .object([("size_bytes", .int(p.sizeBytes)), ("value", .double(p.value)), ("label", .string(p.label))])
        }
        let constraint: JSONValue
        switch outcome.constraint {
        case .maxDrop(let drop): constraint = .object([("max_drop", .double(drop))])
        case .minSQNR(let db): constraint = .object([("min_sqnr_db", .double(db))])
        case .maxIncrease(let ratio): constraint = .object([("max_increase", .double(ratio))])
        case .targetRatio(let ratio): constraint = .object([("target_ratio", .double(ratio))])
        case .targetSize(let bytes): constraint = .object([("target_size", .int(bytes))])
        case .frontOnly: constraint = .null
        }
        let layers = outcome.plan.layerNames.map { name -> (String, JSONValue) in
            let pairs = ConfigWriter.keyValues(outcome.plan.settings(for: name))
            return (name, .string(pairs.map { "\($0.key): \($0.value)" }.joined(separator: ", ")))
        }
        var pairs: [(String, JSONValue)] = [
            ("model", .string(model)),
            ("data", .string(data)),
            ("metric", .string(outcome.metric.rawValue)),
            ("constraint", constraint),
            ("baseline", .object([("value", .double(outcome.baselineValue)),
                                  ("size_bytes", .int(outcome.baselineBytes))])),
            ("result", .object([
                ("value", .double(outcome.value)),
                ("drop", .number(outcome.metric.loss == .decibels ? nil : outcome.baselineValue - outcome.value)),
                ("degradation", .double(outcome.metric.degradation(baseline: outcome.baselineValue, value: outcome.value))),
                ("size_bytes", .int(outcome.sizeBytes)),
                ("compression_ratio", .double(outcome.compressionRatio)),
                ("int8_size_bytes", .int(outcome.int8Bytes)),
                ("size_vs_int8", .double(Double(outcome.sizeBytes) / Double(max(1, outcome.int8Bytes)))),
                ("satisfied", .bool(outcome.satisfied)),
                ("config", out.map { .string($0) } ?? .null),
                ("layers", .object(layers)),
            ])),
            ("pareto_front", .array(outcome.paretoFront.map(point))),
            ("evaluations", .int(outcome.evaluations)),
        ]
        if outcome.constraint == .frontOnly { pairs.removeAll { $0.0 == "result" } }
        if pareto {
            pairs.append(("points", .array(outcome.paretoFront.map { pointJSON($0, metric: outcome.metric, model: model) })))
            // The uniform plans the front is held against, as measured.
            pairs.append(("references", .array(outcome.visited.filter { $0.label.hasPrefix("uniform ") }.map { point in
                .object([("label", .string(point.label)), ("size_bytes", .int(point.sizeBytes)),
                         ("metric", .object([("name", .string(outcome.metric.rawValue)), ("value", .double(point.value))]))])
            })))
        }
        // Several sets: the chosen plan's numbers on each (the top-level ones are the first set's).
        if outcome.sets.count > 1 {
            pairs.append(("sets", .object(outcome.sets.map { set in
                (set.name, .object([
                    ("value", .double(set.value)),
                    ("baseline", .double(set.baselineValue)),
                    ("degradation", .double(outcome.metric.degradation(baseline: set.baselineValue, value: set.value))),
                    ("satisfied", .bool(outcome.constraint.accepts(set.value, metric: outcome.metric,
                                                                   baseline: set.baselineValue))),
                ]))
            })))
        }
        return .object(pairs)
    }

    static func text(_ outcome: SearchOutcome, out: String?) -> String {
        let name = outcome.metric.rawValue
        var lines = ["Pareto front of the \(outcome.evaluations) plans evaluated (size vs \(name)):"]
        var rows = [["size", "ratio", name, "plan"]]
        for point in outcome.paretoFront {
            rows.append([TextFormatting.bytes(point.sizeBytes),
                         String(format: "%.2fx", Double(outcome.baselineBytes) / Double(max(1, point.sizeBytes))),
                         TextFormatting.metric(point.value, outcome.metric), point.label])
        }
        lines.append(TextFormatting.table(rows, rightAligned: [0, 1, 2]))
        if outcome.constraint == .frontOnly {
            lines.append("(no constraint given: the front only; --json --pareto gives each point's configuration)")
            return lines.joined(separator: "\n")
        }
        lines.append("")
        var settings: [[String]] = []
        for layer in outcome.plan.layerNames {
            let pairs = ConfigWriter.keyValues(outcome.plan.settings(for: layer))
            settings.append([layer, pairs.isEmpty ? "float" : pairs.map { "\($0.key) \($0.value)" }.joined(separator: ", ")])
        }
        lines.append(TextFormatting.table(settings))
        lines.append("")
        let verdict = outcome.satisfied ? "meets \(outcome.constraint.description)"
                                        : "does NOT meet \(outcome.constraint.description)"
        let value = TextFormatting.metric(outcome.value, outcome.metric)
        let baseline = TextFormatting.metric(outcome.baselineValue, outcome.metric)
        let size = String(format: "(%.2fx; %.2f of uniform int8)", outcome.compressionRatio,
                          Double(outcome.sizeBytes) / Double(max(1, outcome.int8Bytes)))
        lines.append("chosen: \(name) \(value) (fp32 \(baseline)), size \(TextFormatting.bytes(outcome.sizeBytes)) "
            + size + "; \(verdict)")
        if outcome.sets.count > 1 {
            for set in outcome.sets {
                lines.append("  \(set.name): \(name) \(TextFormatting.metric(set.value, outcome.metric)) "
                    + "(fp32 \(TextFormatting.metric(set.baselineValue, outcome.metric)))")
            }
        }
        if let out { lines.append("wrote \(out)") }
        return lines.joined(separator: "\n")
    }
}
