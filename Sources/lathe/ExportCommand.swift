import ArgumentParser
import Foundation
import LatheCore

/// `lathe export`: the compressed model (or its settings in another tool's terms) that runs elsewhere.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the compressed model as ONNX (QDQ or fake-quantized), or the configuration as JSON or onnxruntime overrides.",
        discussion: """
            qdq (default): integer weights behind DequantizeLinear, codebooks through Gather, fp16/bf16 \
            through Cast, activation bits as QuantizeLinear/DequantizeLinear (8 bits) or the same \
            arithmetic (other widths); BatchNormalization folded as Lathe folds it; everything else of the \
            file kept. fake: the same graph with float32 compressed weights. The written file is read \
            back by Lathe before it replaces anything: each layer's bytes are checked against the export \
            layout, and with --data its metric against the configuration's (`lathe eval --config`); a \
            mismatch is an error and leaves nothing at --out. config-json: the v1 configuration as JSON. \
            ort-overrides: onnxruntime quantization overrides for the settings it can express.
            """
    )

    @Argument(help: "The model (.onnx).")
    var model: String

    @Option(help: "Compression configuration (v1, YAML or JSON).")
    var config: String?

    @Option(help: ArgumentHelp("Output file (never the model, the configuration or a data file).", valueName: "OUT"))
    var out: String?

    @Option(help: ArgumentHelp("qdq, fake, config-json or ort-overrides (default: qdq).", valueName: "FORMAT"))
    var format: String = ExportFormat.qdq.rawValue

    @Option(help: ArgumentHelp("Evaluation data: calibrates activation bits and verifies the export's metric "
                + "(the first set when repeated).", valueName: "[NAME=]FILE"))
    var data: [String] = []

    @OptionGroup var scored: ScoredOutputOption

    @OptionGroup var batching: BatchOptions

    @Option(name: .customLong("calib-samples"),
            help: "Samples (the first ones) calibrating the activation ranges of `abits` layers (default: 256).")
    var calibSamples: Int?

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        try EngineCommandSupport.validate(batch: batching.batch, threads: batching.threads)
        guard config != nil else { throw ValidationError("Missing expected argument '--config <config>'") }
        guard out != nil else { throw ValidationError("Missing expected argument '--out <OUT>'") }
        guard ExportFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be one of "
                + ExportFormat.allCases.map(\.rawValue).joined(separator: ", ") + "; got '\(format)'")
        }
        if let calibSamples, calibSamples < 1 {
            throw ValidationError("--calib-samples must be at least 1, got \(calibSamples)")
        }
    }

    func run() throws {
        guard let config, let out, let format = ExportFormat(rawValue: format) else { return }
        let sets = try NamedDataFile.parse(data)
        try InputFiles.checkReadable(model, what: "model")
        for set in sets { try InputFiles.checkReadable(set.path, what: "data") }
        try InputFiles.checkWritable(out, notOnto: [model, config] + sets.map(\.path))
        let compression = try ConfigApplication.read(config)
        let loadedModel = try Loading.model(model)
        try Loading.checkOutput(scored.output, of: loadedModel, path: model)

        guard format.isModel else {
            let session = try Loading.sessionWithoutData(loadedModel, path: model, output: scored.output)
            let plan = try ConfigApplication.plan(compression, for: session)
            let text = format == .configJSON
                ? ConfigWriter.renderJSON(CompressionConfig(plan: plan, model: compression.model ?? model))
                : ORTOverrides.render(plan: plan, layers: session.layers)
            try InteropFiles.write(text, to: out)
            print(json ? JSONValue.object([("format", .string(format.rawValue)), ("out", .string(out))]).rendered()
                       : "wrote \(out) (\(format.rawValue))")
            return
        }

        var session: InferenceSession
        var evaluator: PlanEvaluator?
        var planned: PlanEvaluation?
        let plan: CompressionPlan
        if let set = sets.first {
            if sets.count > 1 { Loading.note("the export is verified on the first set, \(set.name)") }
            let dataset = try Loading.dataset(set.path, labels: scored.labels, for: loadedModel)
            session = try Loading.session(loadedModel, path: model, data: dataset, output: scored.output,
                                          outputBatchAxis: scored.outputBatchAxis)
            plan = try ConfigApplication.plan(compression, for: session)
            let options = EvaluatorOptions(
                batchSize: try EngineCommandSupport.batchSize(requested: batching.batch, session: session, dataset: dataset),
                threads: batching.threads ?? ProcessInfo.processInfo.activeProcessorCount, cacheCapacityBytes: 0,
                calibrationSamples: calibSamples ?? EvaluatorOptions().calibrationSamples, scoring: scored.scoring)
            let bar = ProgressBar()
            do {
                try Loading.naming(model, or: [set.path, config], foreign: .internalFailure) {
                    let made = try PlanEvaluator(session: session, dataset: dataset, options: options)
                    Loading.announce(made.scoring)
                    evaluator = made
                    planned = try made.evaluate(plan) { phase, done, total in bar.update(phase, done: done, total: total) }
                }
            } catch {
                bar.finish()
                throw error
            }
            bar.finish()
        } else {
            session = try Loading.sessionWithoutData(loadedModel, path: model, output: scored.output)
            plan = try ConfigApplication.plan(compression, for: session)
        }

        let bar = ProgressBar()
        let report: ExportReport
        do {
            report = try Loading.naming(model, or: [out, config] + sets.map(\.path), foreign: .internalFailure) {
                try ModelExporter.export(.init(modelPath: model, outputPath: out, format: format, plan: plan,
                                               session: session, evaluator: evaluator, planned: planned)) { phase, done, total in
                    bar.update(phase, done: done, total: total)
                }
            }
        } catch {
            bar.finish()
            throw error
        }
        bar.finish()
        if let raise = report.opsetRaise {
            Loading.note("opset raised from \(raise.from) to \(raise.to) for the weights' storage "
                + "(\(raise.to >= 21 ? "int4/uint4 DequantizeLinear" : "per-channel DequantizeLinear"))")
        }
        for note in report.notes { Loading.note(note) }
        let result = ExportResult(out: out, report: report)
        print(json ? result.json.rendered() : result.text)
    }
}
