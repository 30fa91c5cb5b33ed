import ArgumentParser
import Foundation
import LatheCore

/// `lathe report`: one self-contained HTML file with the model, its plan, weights, sensitivity and
/// the accuracy/size trade-off, and the commands that reproduce every number.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report: summary, the plan per layer with its bytes, weight histograms, a sensitivity heatmap and accuracy against size.",
        discussion: """
            One self-contained file (inline CSS and SVG, no scripts, nothing loaded from elsewhere). \
            Sizes follow the size model (as `lathe inspect --config`); with --data every metric is \
            measured as `lathe eval --config` measures it, and the heatmap is the metric's drop per \
            layer and bit-width from the same sweep (and cache) as `lathe sensitivity`; without data \
            the heatmap is the data-free SQNR and the accuracy chart is omitted. --pareto adds the \
            front of `lathe search --pareto --json` to the accuracy chart. A weights-only checkpoint \
            (.safetensors, model.safetensors.index.json, .gguf) gets the summary, its tensors' sizes, \
            histograms and the data-free SQNR heatmap.
            """
    )

    @Argument(help: "The model (.onnx), or a weights-only checkpoint (.safetensors, model.safetensors.index.json, .gguf).")
    var model: String

    @Option(help: ArgumentHelp(DataSetsHelp.text + " Metrics are reported on the first set; the heatmap shows the "
                + "worst drop over the sets.", valueName: "[NAME=]FILE"))
    var data: [String] = []

    @Option(help: "Compression configuration (v1, YAML or JSON) whose plan the report shows (default: the uncompressed plan).")
    var config: String?

    @Option(help: ArgumentHelp("A Pareto front written by `lathe search --pareto --json`, drawn in the accuracy chart.",
                               valueName: "SEARCH.json"))
    var pareto: String?

    @Option(help: ArgumentHelp("The HTML file to write (never one of the inputs).", valueName: "OUT"))
    var out: String?

    @Option(help: "Bit-widths of the sensitivity heatmap, comma-separated (1–16, 32 = float).")
    var bits: String = "2,3,4,8"

    @OptionGroup var scored: ScoredOutputOption

    @OptionGroup var batching: BatchOptions

    @OptionGroup var activationCache: ActivationCacheOption

    @OptionGroup var stopLoss: StopLossOption

    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the sensitivity results cache.")
    var noCache = false

    func validate() throws {
        try EngineCommandSupport.validate(batch: batching.batch, threads: batching.threads,
                                          cacheMB: activationCache.cacheMB)
        guard out != nil else { throw ValidationError("Missing expected argument '--out <OUT>'") }
    }

    func run() throws {
        guard let out else { return }
        let started = Date()
        let sets = try NamedDataFile.parse(data)
        try InputFiles.checkReadable(model, what: "model")
        for set in sets { try InputFiles.checkReadable(set.path, what: "data") }
        if let config { try InputFiles.checkReadable(config, what: "config") }
        if let pareto { try InputFiles.checkReadable(pareto, what: "Pareto front") }
        try InputFiles.checkWritable(out, notOnto: [model] + sets.map(\.path) + [config, pareto].compactMap { $0 })
        let levels = try EngineCommandSupport.integers(bits, option: "--bits") ?? []
        try SensitivityLevels(bits: levels).validate()
        let front = try pareto.map { path in
            try ParetoFront.parse(try Loading.naming(path) { try Data(contentsOf: URL(fileURLWithPath: path)) }, path: path)
        }

        let content: ReportContent
        if let format = WeightCheckpoint.format(of: model) {
            content = try checkpointReport(format: format, bits: levels)
        } else {
            content = try onnxReport(sets: sets, bits: levels, front: front)
        }
        let html = ReportDocument.html(content)
        try InteropFiles.write(html, to: out)
        let seconds = Date().timeIntervalSince(started)
        print("wrote \(out) (\(TextFormatting.bytes(html.utf8.count)), \(content.plan.rows.count) layers, "
            + String(format: "%.1f s)", seconds))
    }

    /// The arguments this report was made with, for its "How to reproduce" section.
    private var reportArguments: [String] {
        var words = [model] + data.flatMap { ["--data", $0] }
        if let config { words += ["--config", config] }
        if let pareto { words += ["--pareto", pareto] }
        if bits != "2,3,4,8" { words += ["--bits", bits] }
        return words + scoringArguments + sweepArguments + ["--out", out ?? "report.html"]
    }

    /// The options that change the sweep alone, passed on to sensitivity.
    private var sweepArguments: [String] {
        stopLoss.stopAt == StopLossOption.defaultText ? [] : ["--stop-at", stopLoss.stopAt]
    }

    /// The options that change what is scored, passed on to eval and sensitivity.
    private var scoringArguments: [String] {
        var words: [String] = []
        if let output = scored.output { words += ["--output", output] }
        if let axis = scored.outputBatchAxis { words += ["--output-batch-axis", String(axis)] }
        if scored.metric != .auto { words += ["--metric", scored.metric.rawValue] }
        if let axis = scored.classAxis { words += ["--class-axis", String(axis)] }
        if let labels = scored.labels { words += ["--labels", labels] }
        if let batch = batching.batch { words += ["--batch", String(batch)] }
        return words
    }

    private func commands(checkpoint: Bool, bits: [Int]) -> [ReportCommandLine] {
        ReportCommands(model: model, data: data, config: config, scoringArguments: scoringArguments,
                       sweepArguments: sweepArguments, bits: bits, checkpoint: checkpoint,
                       reportArguments: reportArguments).lines
    }

    private func onnxReport(sets: [NamedDataFile], bits: [Int], front: ParetoFront?) throws -> ReportContent {
        // The configuration is checked before the (slower) model and data loading.
        let compression = try config.map(ConfigApplication.read)
        let loadedModel = try Loading.model(model)
        try Loading.checkOutput(scored.output, of: loadedModel, path: model)
        let levels = SensitivityLevels(bits: bits)
        let cache = CommandCache.sensitivity(disabled: noCache)
        let session: InferenceSession
        var evaluator: PlanEvaluator?
        var sensitivity: SensitivitySets?
        let bar = ProgressBar()
        defer { bar.finish() }
        let progress: @Sendable (String, Int, Int) -> Void = { phase, done, total in
            bar.update(phase, done: done, total: total)
        }
        if sets.isEmpty {
            session = try Loading.sessionWithoutData(loadedModel, path: model, output: scored.output)
            if !bits.isEmpty {
                sensitivity = SensitivitySets(names: [""], reports: [try SensitivitySweep.dataFree(
                    session: session, request: SensitivityRequest(
                        levels: levels, model: model, modelHash: try ContentHash.hex(ofFile: model), cache: cache))])
            }
        } else {
            let loaded = try EngineCommandSupport.load(model: model, sets: sets, scored: scored, batch: batching.batch,
                                                       threads: batching.threads, cacheMB: activationCache.cacheMB)
            session = loaded.session
            evaluator = loaded.evaluator
            if !bits.isEmpty {
                sensitivity = try Loading.naming(model) {
                    try SensitivitySweep.run(sets: loaded.sets, request: SensitivityRequest(
                        levels: levels, model: model, modelHash: loaded.modelHash, data: sets[0].path,
                        dataHash: loaded.dataHash, cache: cache, stopLoss: try stopLoss.loss()), progress: progress)
                }
            }
        }
        let plan = try compression.map { try ConfigApplication.plan($0, for: session) }
        var notes: [String] = []
        if sets.count > 1 {
            notes.append("Metrics are those of the first data set, \(sets[0].name) (\(sets[0].path)); the heatmap "
                + "shows each layer's worst drop over all \(sets.count) sets.")
        }
        let request = ReportCollector.Request(
            modelFile: model, format: "ONNX, opset \(loadedModel.opset)", dataFiles: sets.map(\.path),
            configFile: config, plan: plan, paretoFile: pareto, pareto: front,
            heatmap: sensitivity.map { ReportHeatmap(sensitivity: $0, bits: bits) },
            reproduce: commands(checkpoint: false, bits: bits), notes: notes)
        return try Loading.naming(model, or: sets.map(\.path) + [config].compactMap { $0 }, foreign: .internalFailure) {
            try ReportCollector.collect(session: session, evaluator: evaluator, request: request, progress: progress)
        }
    }

    /// Weights only: there is no graph, so data, outputs, configurations and fronts do not apply.
    private func checkpointReport(format: WeightCheckpoint.Format, bits: [Int]) throws -> ReportContent {
        if !data.isEmpty || config != nil || pareto != nil || scored.output != nil || scored.labels != nil {
            throw LatheError.badInput(file: model, "is a weights-only checkpoint: --data, --config, --pareto, --output "
                + "and --labels need a model graph (ONNX); report on it without them")
        }
        let checkpoint = try WeightCheckpoint.open(path: model)
        return ReportCollector.collect(checkpoint: checkpoint, bits: bits, request: ReportCollector.Request(
            modelFile: model, format: format.displayName, reproduce: commands(checkpoint: true, bits: bits)))
    }
}
