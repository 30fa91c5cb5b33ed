import ArgumentParser
import Foundation
import LatheCore

/// `lathe eval`: accuracy, agreement and size of a model on an evaluation set.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model on a dataset: its metric, top-1/top-5 accuracy, macro F1, agreement, SQNR and size.",
        discussion: """
            The metric (--metric, default auto) is chosen from the scored output's shape and the labels: \
            top-1 for integer labels shaped like the output's positions, mse for float labels shaped like \
            the output, agreement at every position for class scores, SQNR otherwise; the choice and its \
            reason are said on stderr. With --config, the configuration's compression (quantization, \
            pruning, sharing, low-rank, activation bits) is applied first: agreement, SQNR and cosine are \
            then measured against the uncompressed model, and size_bytes / compression_ratio follow the \
            size model.
            """
    )

    @Argument(help: "The model (.onnx).")
    var model: String

    @Option(help: "Evaluation data (.npz: one array per model input, by name, and optional labels y; or .npy).")
    var data: String

    @OptionGroup var scored: ScoredOutputOption

    @OptionGroup var batching: BatchOptions

    @Option(help: "Compression configuration (v1, YAML or JSON) to apply before evaluating.")
    var config: String?

    @Option(name: .customLong("calib-samples"),
            help: "Samples (the first ones) calibrating the activation ranges of `abits` layers (default: 256).")
    var calibSamples: Int?

    @Option(name: .customLong("save-outputs"), help: "Write the raw outputs to this .npy file, in the model's own layout (samples along the output's batch axis).")
    var saveOutputs: String?

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        try EngineCommandSupport.validate(batch: batching.batch, threads: batching.threads)
        if let calibSamples {
            guard calibSamples >= 1 else { throw ValidationError("--calib-samples must be at least 1, got \(calibSamples)") }
            guard config != nil else { throw ValidationError("--calib-samples needs --config (it calibrates the config's abits)") }
        }
    }

    func run() throws {
        try InputFiles.checkReadable(model, what: "model")
        try InputFiles.checkReadable(data, what: "data")
        if let saveOutputs { try InputFiles.checkWritable(saveOutputs, notOnto: [model, data] + (config.map { [$0] } ?? [])) }
        // The configuration is checked before the (slower) model and data loading.
        let compression = try config.map(ConfigApplication.read)
        let loadedModel = try Loading.model(model)
        try Loading.checkOutput(scored.output, of: loadedModel, path: model)
        let dataset = try Loading.dataset(data)
        let session = try Loading.session(loadedModel, path: model, data: dataset, output: scored.output,
                                          outputBatchAxis: scored.outputBatchAxis)
        let plan = try compression.map { try ConfigApplication.plan($0, for: session) }
            ?? .identity(layers: session.layers)
        let batchSize = try EngineCommandSupport.batchSize(requested: batching.batch, session: session, dataset: dataset)
        let options = EvaluatorOptions(batchSize: batchSize,
                                       threads: batching.threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                       cacheCapacityBytes: 0,
                                       calibrationSamples: calibSamples ?? EvaluatorOptions().calibrationSamples,
                                       scoring: scored.scoring)
        let bar = ProgressBar()
        let report: PlanEvaluation
        do {
            report = try Loading.naming(model, or: [data] + (config.map { [$0] } ?? []), foreign: .internalFailure) {
                let evaluator = try PlanEvaluator(session: session, dataset: dataset, options: options)
                Loading.announce(evaluator.scoring)
                return try evaluator.evaluate(plan) { phase, done, total in
                    bar.update(phase, done: done, total: total)
                }
            }
        } catch {
            bar.finish()  // the error message starts on a clean line
            throw error
        }
        bar.finish()
        if let saveOutputs { try OutputFiles.writeNPY(report.outputs, to: saveOutputs) }
        let result = EvalResult(model: model, data: data, output: session.outputName, config: config, report: report)
        print(json ? result.json.rendered() : result.text)
    }
}

/// The numbers `lathe eval` reports, in JSON and as text.
struct EvalResult {
    var model: String
    var data: String
    var output: String
    /// The applied configuration file (nil: the model as loaded).
    var config: String?
    var report: PlanEvaluation

    /// Keys in a fixed order; unavailable numbers (no labels, fewer than 5 classes, no class axis) are null.
    var json: JSONValue {
        let totals = report.totals
        let scoring = report.scoring
        let metric = scoring.metric
        let value = totals.value(of: metric)
        return .object([
            ("model", .string(model)),
            ("data", .string(data)),
            ("output", .string(output)),
            ("config", config.map { .string($0) } ?? .null),
            ("samples", .int(totals.samples)),
            ("classes", .int(classes)),
            ("metric", .object([
                ("name", .string(metric.rawValue)),
                ("value", .number(value)),
                ("unit", .string(metric.unit)),
                ("higher_is_better", .bool(metric.higherIsBetter)),
                ("reason", .string(scoring.reason)),
            ])),
            ("top1", .number(scoring.labelsMatchPositions ? totals.value(of: .top1) : nil)),
            ("top5", .number(report.classification?.top5)),
            ("macro_f1", .number(report.classification?.macroF1)),
            ("agreement", .number(scoring.hasClasses ? totals.value(of: .agree) : nil)),
            ("sqnr_db", .number(totals.sqnrDB)),
            ("cosine", .number(totals.cosine)),
            ("mse", .number(scoring.labelsMatchOutput ? totals.value(of: .mse) : nil)),
            ("mae", .number(scoring.labelsMatchOutput ? totals.value(of: .mae) : nil)),
            ("size_bytes", .int(report.size.totalBytes)),
            ("baseline_size_bytes", .int(report.size.baselineBytes)),
            ("compression_ratio", .double(report.size.compressionRatio)),
            ("seconds", .double(report.seconds)),
        ])
    }

    /// Classes along the class axis (for an output of predicted classes: the highest + 1).
    private var classes: Int {
        report.scoring.predictionsGiven ? (report.classification?.classes ?? 0) : report.scoring.classes
    }

    var text: String {
        let totals = report.totals
        let scoring = report.scoring
        let metric = scoring.metric
        var rows: [[String]] = [
            ["model", model],
            ["data", "\(data) (\(TextFormatting.grouped(totals.samples)) samples, \(classes) classes)"],
            ["output", output],
        ]
        if let config { rows.append(["config", config]) }
        rows.append(["metric", "\(metric.label) \(TextFormatting.metric(totals.value(of: metric), metric)) "
            + "(\(scoring.reason))"])
        if scoring.labelsMatchPositions {
            rows.append(["top-1", TextFormatting.percent(totals.value(of: .top1))])
            if let top5 = report.classification?.top5 { rows.append(["top-5", TextFormatting.percent(top5)]) }
            if let f1 = report.classification?.macroF1 { rows.append(["macro F1", String(format: "%.4f", f1)]) }
        } else if scoring.hasClasses {
            rows.append(["top-1", "- (no integer labels shaped like the output's positions)"])
        }
        if scoring.labelsMatchOutput {
            rows.append(["MSE", TextFormatting.metric(totals.value(of: .mse), .mse)])
            rows.append(["MAE", TextFormatting.metric(totals.value(of: .mae), .mae)])
        }
        if scoring.hasClasses { rows.append(["agreement", TextFormatting.percent(totals.value(of: .agree))]) }
        rows.append(["SQNR", TextFormatting.metric(totals.sqnrDB, .sqnr)])
        rows.append(["cosine", TextFormatting.metric(totals.cosine, .cosine)])
        let ratio = String(format: "%.2f", report.size.compressionRatio)
        rows.append(["size", "\(TextFormatting.bytes(report.size.totalBytes)) (baseline \(TextFormatting.bytes(report.size.baselineBytes)), ratio \(ratio)x)"])
        rows.append(["time", String(format: "%.2f s", report.seconds)])
        return TextFormatting.table(rows)
    }
}
