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

    @Option(help: "Evaluation data (.npz with x and optional integer labels y, or .npy).")
    var data: String

    @OptionGroup var scored: ScoredOutputOption

    @OptionGroup var batching: BatchOptions

    @Option(help: "Compression configuration (v1, YAML or JSON) to apply before evaluating.")
    var config: String?

    @Option(name: .customLong("calib-samples"),
            help: "Samples (the first ones) calibrating the activation ranges of `abits` layers (default: 256).")
    var calibSamples: Int?

    @Option(name: .customLong("save-outputs"), help: "Write the raw outputs [N, C] to this .npy file.")
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
        try Loading.checkSampleShape(dataset, modelPath: model, model: loadedModel)
        let session = try Loading.naming(model) {
            try InferenceSession(model: loadedModel, sampleShape: dataset.sampleShape, output: scored.output)
        }
        let plan = try compression.map { try ConfigApplication.plan($0, for: session) }
        let batchSize = min(batching.batch, dataset.count)
        let threads = batching.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let bar = ProgressBar()
        let progress: EvaluationRunner.Progress = { phase, done, total in bar.update(phase, done: done, total: total) }
        let report: EvaluationReport
        do {
            report = try Loading.naming(model, or: [data] + (config.map { [$0] } ?? []), foreign: .internalFailure) {
                if let plan {
                    return try ConfigApplication.evaluate(
                        session: session, dataset: dataset, plan: plan, batchSize: batchSize, threads: threads,
                        calibrationSamples: calibSamples ?? EvaluatorOptions().calibrationSamples, progress: progress)
                }
                return try EvaluationRunner.run(session: session, dataset: dataset, plan: .uncompressed,
                                                batchSize: batchSize, threads: threads, progress: progress)
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
    var report: EvaluationReport

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
            ("size_bytes", .int(report.sizeBytes)),
            ("baseline_size_bytes", .int(report.baselineBytes)),
            ("compression_ratio", .double(report.compressionRatio)),
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
        let ratio = String(format: "%.2f", report.compressionRatio)
        rows.append(["size", "\(TextFormatting.bytes(report.sizeBytes)) (baseline \(TextFormatting.bytes(report.baselineBytes)), ratio \(ratio)x)"])
        rows.append(["time", String(format: "%.2f s", report.seconds)])
        return TextFormatting.table(rows)
    }
}
