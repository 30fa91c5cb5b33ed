import ArgumentParser
import Foundation
import LatheCore

/// `lathe eval`: accuracy, agreement and size of a model on an evaluation set.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model on a dataset: top-1/top-5 accuracy, macro F1, agreement and size.",
        discussion: """
            With --config, the configuration's compression (quantization, pruning, sharing, low-rank, \
            activation bits) is applied first: agreement is then measured against the uncompressed \
            model, and size_bytes / compression_ratio follow the size model.
            """
    )

    @Argument(help: "The model (.onnx).")
    var model: String

    @Option(help: "Evaluation data (.npz: one array per model input, by name, and optional integer labels y; or .npy).")
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
                                       calibrationSamples: calibSamples ?? EvaluatorOptions().calibrationSamples)
        let bar = ProgressBar()
        let report: PlanEvaluation
        do {
            report = try Loading.naming(model, or: [data] + (config.map { [$0] } ?? []), foreign: .internalFailure) {
                try Self.evaluate(plan, session: session, dataset: dataset, options: options) { phase, done, total in
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

extension EvalCommand {
    /// Evaluates `plan` on every sample through `PlanEvaluator`, the evaluation
    /// path of the live session, sensitivity, search and `lathe bench`, so
    /// `lathe eval` reproduces the numbers the explorer shows: metrics (agreement
    /// against the uncompressed model), outputs in dataset order and the size
    /// model's totals. Without `--config`, `plan` is the identity plan.
    static func evaluate(_ plan: CompressionPlan, session: InferenceSession, dataset: Dataset,
                         options: EvaluatorOptions,
                         progress: @escaping @Sendable (String, Int, Int) -> Void) throws -> PlanEvaluation {
        let evaluator = try PlanEvaluator(session: session, dataset: dataset, options: options)
        do {
            return try evaluator.evaluate(plan, progress: progress)
        } catch let error as LatheError where error.kind == .badInput && error.message.contains("[samples, classes]") {
            // Metrics refuse outputs they cannot score; say which output, and how to pick another.
            throw LatheError.badInput(
                "output '\(session.outputName)': \(error.message) (pass --output NAME to score another output)")
        }
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

    /// Keys in a fixed order; unavailable metrics (no labels, fewer than 5 classes) are null.
    var json: JSONValue {
        let m = report.metrics
        return .object([
            ("model", .string(model)),
            ("data", .string(data)),
            ("output", .string(output)),
            ("config", config.map { .string($0) } ?? .null),
            ("samples", .int(m.samples)),
            ("classes", .int(m.classes)),
            ("top1", .number(m.top1)),
            ("top5", .number(m.top5)),
            ("macro_f1", .number(m.macroF1)),
            ("agreement", .number(m.agreement)),
            ("size_bytes", .int(report.size.totalBytes)),
            ("baseline_size_bytes", .int(report.size.baselineBytes)),
            ("compression_ratio", .double(report.size.compressionRatio)),
            ("seconds", .double(report.seconds)),
        ])
    }

    var text: String {
        let m = report.metrics
        var rows: [[String]] = [
            ["model", model],
            ["data", "\(data) (\(TextFormatting.grouped(m.samples)) samples, \(m.classes) classes)"],
            ["output", output],
        ]
        if let config { rows.append(["config", config]) }
        if m.top1 != nil {
            rows.append(["top-1", TextFormatting.percent(m.top1)])
            if m.top5 != nil { rows.append(["top-5", TextFormatting.percent(m.top5)]) }
            rows.append(["macro F1", m.macroF1.map { String(format: "%.4f", $0) } ?? "-"])
        } else {
            rows.append(["top-1", "- (the data has no labels)"])
        }
        rows.append(["agreement", TextFormatting.percent(m.agreement)])
        let ratio = String(format: "%.2f", report.size.compressionRatio)
        rows.append(["size", "\(TextFormatting.bytes(report.size.totalBytes)) (baseline \(TextFormatting.bytes(report.size.baselineBytes)), ratio \(ratio)x)"])
        rows.append(["time", String(format: "%.2f s", report.seconds)])
        return TextFormatting.table(rows)
    }
}
