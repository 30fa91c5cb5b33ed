import ArgumentParser
import Foundation
import LatheCore

/// `lathe sensitivity`: per-layer sensitivity sweeps, data-free SQNR, shards and merging.
struct SensitivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract: "Per-layer sensitivity: the metric with each layer alone compressed at each level, and SQNR.",
        discussion: """
            With --data, every weight layer is compressed alone at each level (bits: symmetric \
            per-channel; prune: unstructured; clusters: weight sharing) while the others stay float, \
            and top-1 (or agreement with the uncompressed model, without labels) is measured. Without \
            --data only the data-free SQNR per bit-width is computed. Results are cached under \
            $XDG_CACHE_HOME/lathe (or ~/.cache/lathe), keyed by the model, the data and the method, \
            so running again is instant. --shard i/n computes every n-th layer starting at the i-th; \
            `lathe sensitivity --merge shard1.json shard2.json ...` combines the JSON of all shards. \
            A weights-only checkpoint (.safetensors, model.safetensors.index.json, .gguf) has no graph to run \
            data through: its sensitivity is the data-free SQNR per bit-width with outlier measures, and \
            --target-bits AVG suggests a bit-width per layer (param-weighted average at most AVG).
            """
    )

    @Argument(help: "The model (.onnx, or a weights-only .safetensors / .gguf checkpoint); with --merge, the shard reports (JSON) to combine.")
    var files: [String] = []

    @Option(help: ArgumentHelp(DataSetsHelp.text + " With several sets a layer's sensitivity at a level is its "
                + "worst over the sets. Without --data: data-free SQNR only.", valueName: "[NAME=]FILE"))
    var data: [String] = []

    @Option(help: "Bit-widths to try, comma-separated (1–16, 32 = float).")
    var bits: String = "2,4,8"

    @Option(help: "Unstructured pruning ratios to try, comma-separated (0 ≤ p < 1).")
    var prune: String?

    @Option(help: "Weight-sharing cluster counts to try, comma-separated (2–256).")
    var clusters: String?

    @Option(help: ArgumentHelp("Bit-widths to try with GPTQ rounding, comma-separated (calibrated as `lathe eval` "
                + "calibrates: --calib, else the first --calib-samples of the data).", valueName: "BITS"))
    var gptq: String?

    @OptionGroup var calibration: CalibrationOptions

    @Option(help: "Compute only shard i of n (every n-th layer from the i-th), e.g. 1/4.")
    var shard: String?

    @Option(name: .customLong("target-bits"),
            help: "Weights-only checkpoints: suggest per-layer bit-widths (from --bits) whose param-weighted average is at most this.")
    var targetBits: Double?

    @Flag(help: "Combine shard reports given as arguments.")
    var merge = false

    @OptionGroup var scored: ScoredOutputOption

    @OptionGroup var batching: BatchOptions

    @OptionGroup var activationCache: ActivationCacheOption

    @OptionGroup var stopLoss: StopLossOption

    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the results cache.")
    var noCache = false

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        try EngineCommandSupport.validate(batch: batching.batch, threads: batching.threads,
                                          cacheMB: activationCache.cacheMB)
        try calibration.check()
        if merge {
            guard !files.isEmpty else { throw ValidationError("--merge needs the shard report files as arguments") }
            guard data.isEmpty, shard == nil else { throw ValidationError("--merge takes only report files (and --json)") }
        } else {
            guard files.count == 1 else {
                throw ValidationError(files.isEmpty ? "missing the model argument"
                                                    : "expected one model, got \(files.count) arguments")
            }
        }
    }

    func run() throws {
        if merge {
            for file in files { try InputFiles.checkReadable(file, what: "sensitivity report") }
            let report = try SensitivityReport.merge(try files.map { ($0, try SensitivityReport.read(path: $0)) })
            if json { print(report.renderJSON(), terminator: "") } else { print(Self.text(report)) }
            return
        }
        try InputFiles.checkReadable(files[0], what: "model")
        if WeightCheckpoint.format(of: files[0]) != nil {
            try checkpointSensitivity(path: files[0])
            return
        }
        if targetBits != nil {
            throw LatheError.badInput("--target-bits applies to weights-only checkpoints (.safetensors, .gguf)")
        }
        let sets = try sweep(model: files[0])
        if json { print(sets.renderJSON(), terminator: "") } else { print(Self.text(sets)) }
    }

    /// Data-free sensitivity of a weights-only checkpoint (`CheckpointSensitivity`).
    private func checkpointSensitivity(path: String) throws {
        if !data.isEmpty {
            throw LatheError.badInput(file: path, "is a weights-only checkpoint: it has no graph to run --data through, "
                + "so its sensitivity is data-free (SQNR per bit-width); drop --data")
        }
        if prune != nil || clusters != nil || gptq != nil || shard != nil {
            throw LatheError.badInput(file: path, "is a weights-only checkpoint: its data-free sensitivity takes --bits "
                + "(and --target-bits), not --prune, --clusters, --gptq or --shard")
        }
        let levels = try EngineCommandSupport.integers(bits, option: "--bits") ?? []
        try SensitivityLevels(bits: levels, prune: [], clusters: []).validate()
        if let targetBits, !(targetBits.isFinite && targetBits > 0) {
            throw LatheError.badInput("--target-bits must be a positive number of bits, got \(targetBits)")
        }
        let checkpoint = try WeightCheckpoint.open(path: path)
        let report = try CheckpointSensitivity(checkpoint: checkpoint, bits: levels, targetBits: targetBits)
        print(json ? report.json(model: path).rendered() : report.text(model: path))
    }

    private func sweep(model: String) throws -> SensitivitySets {
        let levels = SensitivityLevels(
            bits: try EngineCommandSupport.integers(bits, option: "--bits") ?? [],
            prune: try EngineCommandSupport.ratios(prune, option: "--prune") ?? [],
            clusters: try EngineCommandSupport.integers(clusters, option: "--clusters") ?? [],
            gptq: try EngineCommandSupport.integers(gptq, option: "--gptq") ?? [])
        try levels.validate()
        let shard = try shard.map { try SensitivityShard(parsing: $0) }
        let stopLoss = try stopLoss.loss()
        let cache = CommandCache.sensitivity(disabled: noCache)
        let dataSets = try NamedDataFile.parse(data)
        guard !dataSets.isEmpty else {
            if !levels.gptq.isEmpty || calibration.calib != nil {
                throw LatheError.badInput("--gptq and --calib need --data: GPTQ calibrates on data and is scored by it")
            }
            try InputFiles.checkReadable(model, what: "model")
            let loadedModel = try Loading.model(model)
            try Loading.checkOutput(scored.output, of: loadedModel, path: model)
            let session = try Loading.sessionWithoutData(loadedModel, path: model, output: scored.output)
            let report = try SensitivitySweep.dataFree(session: session, request: SensitivityRequest(
                levels: levels, shard: shard, model: model, modelHash: try ContentHash.hex(ofFile: model),
                cache: cache))
            return SensitivitySets(names: [""], reports: [report])
        }
        let loaded = try EngineCommandSupport.load(model: model, sets: dataSets, scored: scored,
                                                   batch: batching.batch, threads: batching.threads,
                                                   cacheMB: activationCache.cacheMB, calibration: calibration)
        if !levels.gptq.isEmpty && calibration.calib == nil {
            RecoveryCalibration.noteOverlap(data: dataSets[0].path,
                                            samples: calibration.calibSamples ?? EvaluatorOptions().calibrationSamples)
        }
        let bar = ProgressBar()
        defer { bar.finish() }
        return try Loading.naming(model) {
            try SensitivitySweep.run(sets: loaded.sets, request: SensitivityRequest(
                levels: levels, shard: shard, model: model, modelHash: loaded.modelHash, data: dataSets[0].path,
                dataHash: loaded.dataHash, cache: cache, stopLoss: stopLoss), progress: { phase, done, total in
                    bar.update(phase, done: done, total: total)
                })
        }
    }

    /// With several sets: the worst over them, then each set's own table.
    static func text(_ sets: SensitivitySets) -> String {
        guard sets.names.count > 1 else { return sets.reports.first.map(text) ?? "" }
        var parts = ["worst over the sets \(sets.names.joined(separator: ", ")) (each level: the value that loses "
            + "as much from the first set's baseline as the set losing most there)", text(sets.worst)]
        for (name, report) in zip(sets.names, sets.reports) {
            parts.append("")
            parts.append("set \(name) (\(report.baseline.data ?? ""))")
            parts.append(text(report))
        }
        return parts.joined(separator: "\n")
    }

    /// One row per layer: score, the metric per level, SQNR per bit-width.
    static func text(_ report: SensitivityReport) -> String {
        let levels = report.baseline.levels
        let dataFree = report.baseline.metric == nil
        let metric = report.baseline.metric ?? .top1
        var header = ["layer", "score"]
        if !dataFree {
            header += levels.bits.map { "\($0)b" } + levels.prune.map { "p\(SensitivityReport.key($0))" }
                + levels.clusters.map { "k\($0)" } + levels.gptq.map { "gptq \($0)b" }
        }
        header += levels.bits.map { "SQNR \($0)b" }
        var rows = [header]
        for layer in report.layers {
            var row = [layer.name, TextFormatting.decimal(layer.score, digits: 3)]
            if !dataFree {
                func cell(_ level: SensitivityLevel) -> String {
                    if layer.notApplicable.contains(level) { return "n/a" }
                    let text = TextFormatting.metric(layer.value(at: level), metric)
                    return layer.partial[level] == nil ? text : "~" + text
                }
                row += levels.entries.map(cell)
            }
            row += levels.bits.map { bits in
                guard let db = layer.sqnrDB[bits] else { return "-" }
                return db.isInfinite ? "exact" : String(format: "%.1f dB", db)
            }
            rows.append(row)
        }
        var lines: [String] = []
        if let metric = report.baseline.metric {
            let baseline = report.baseline.value ?? (metric == .sqnr ? .infinity : nil)
            lines.append("baseline \(metric.rawValue) \(TextFormatting.metric(baseline, metric)) "
                + "on \(TextFormatting.grouped(report.baseline.samples)) samples")
        } else {
            lines.append("data-free: SQNR only (pass --data for the metric per level)")
        }
        if let shard = report.baseline.shard { lines.append("shard \(shard)") }
        lines.append(TextFormatting.table(rows, rightAligned: Set(1..<header.count)))
        if let loss = report.baseline.stopLoss, let metric = report.baseline.metric,
           report.layers.contains(where: { !$0.partial.isEmpty }) {
            lines.append("~ stopped early: certain to lose at least \(metric.describe(loss: loss)) whatever the "
                + "samples left hold; the value on the samples run (--json: how many, and the best the whole set "
                + "could reach); --stop-at none runs every level on every sample")
        }
        let settled = report.layers.reduce(0) { $0 + $1.settledByMargin.count }
        if settled > 0 {
            let entries = report.layers.reduce(0) { sum, layer in
                sum + report.baseline.levels.entries.filter { layer.value(at: $0) != nil }.count
            }
            lines.append("\(settled) of \(entries) entries ran the least certain samples only: every sample left had a "
                + "margin between its top two classes over \(String(format: "%g", 2 * SensitivityRequest.marginFactor))× the "
                + "largest change seen on an output value, and counts as the uncompressed model scores it (--json: "
                + "margin_settled); --stop-at none runs every sample")
        }
        lines.append("score: " + SensitivityReport.scoreDefinition)
        return lines.joined(separator: "\n")
    }
}
