import ArgumentParser
import Foundation
import LatheCore

/// `lathe eval`: accuracy, agreement and size of a model on an evaluation set.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model on a dataset: top-1/top-5 accuracy, macro F1, agreement and size."
    )

    @Argument(help: "The model (.onnx).")
    var model: String

    @Option(help: "Evaluation data (.npz with x and optional integer labels y, or .npy).")
    var data: String

    @Option(help: "Name of the model output to score (default: the first output).")
    var output: String?

    @Option(help: "Samples per batch.")
    var batch: Int = 64

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?

    @Option(name: .customLong("save-outputs"), help: "Write the raw outputs [N, C] to this .npy file.")
    var saveOutputs: String?

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        try InputFiles.checkReadable(model, what: "model")
        try InputFiles.checkReadable(data, what: "data")
        if let saveOutputs { try InputFiles.checkWritable(saveOutputs, notOnto: [model, data]) }
        let loadedModel = try Loading.model(model)
        try Loading.checkOutput(output, of: loadedModel, path: model)
        let dataset = try Loading.dataset(data)
        try Loading.checkSampleShape(dataset, modelPath: model, model: loadedModel)
        let session = try Loading.naming(model) {
            try InferenceSession(model: loadedModel, sampleShape: dataset.sampleShape, output: output)
        }
        let bar = ProgressBar()
        let report: EvaluationReport
        do {
            report = try Loading.naming(model, or: [data], foreign: .internalFailure) {
                try EvaluationRunner.run(
                    session: session, dataset: dataset, plan: .uncompressed,
                    batchSize: min(batch, dataset.count),
                    threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                    progress: { phase, done, total in bar.update(phase, done: done, total: total) })
            }
        } catch {
            bar.finish()  // the error message starts on a clean line
            throw error
        }
        bar.finish()
        if let saveOutputs { try OutputFiles.writeNPY(report.outputs, to: saveOutputs) }
        let result = EvalResult(model: model, data: data, output: session.outputName, report: report)
        print(json ? result.json.rendered() : result.text)
    }
}

/// The numbers `lathe eval` reports, in JSON and as text.
struct EvalResult {
    var model: String
    var data: String
    var output: String
    var report: EvaluationReport

    /// Keys in a fixed order; unavailable metrics (no labels, fewer than 5 classes) are null.
    var json: JSONValue {
        let m = report.metrics
        return .object([
            ("model", .string(model)),
            ("data", .string(data)),
            ("output", .string(output)),
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
