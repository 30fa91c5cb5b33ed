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
            ort-overrides: onnxruntime quantization overrides for the settings it can express. For a \
            weights-only checkpoint: llama-tensor-types writes llama-quantize --tensor-type lines, \
            safetensors the quantized tensors (integer codes + scales, README "Quantized safetensors").
            """
    )

    @Argument(help: "The model (.onnx), or a weights-only checkpoint (.safetensors, .safetensors.index.json, .gguf).")
    var model: String

    @Option(help: "Compression configuration (v1, YAML or JSON).")
    var config: String?

    @Option(help: ArgumentHelp("Output file (never the model, the configuration or a data file).", valueName: "OUT"))
    var out: String?

    @Option(help: ArgumentHelp("qdq, fake, config-json or ort-overrides (default: qdq); for a checkpoint "
                + "llama-tensor-types, safetensors or config-json.", valueName: "FORMAT"))
    var format: String = ExportFormat.qdq.rawValue

    @Option(help: ArgumentHelp("Evaluation data: calibrates activation bits and GPTQ (on the first set, for every set) "
                + "and verifies the export's metric; repeat as NAME=FILE to verify on every set, each scored and "
                + "calibrated as `lathe eval` does.",
                valueName: "[NAME=]FILE"))
    var data: [String] = []

    @OptionGroup var scored: ScoredOutputOption

    @OptionGroup var batching: BatchOptions

    @Option(name: .customLong("calib-samples"),
            help: "Samples (the first ones) calibrating the activation ranges of `abits` layers (default: 256).")
    var calibSamples: Int?

    @Option(help: ArgumentHelp("Calibration data for `abits` ranges, GPTQ and bias correction, for every set "
                + "(.npz like --data; default: the first --calib-samples samples of the first --data set), as "
                + "`lathe eval --calib` takes it.", valueName: "FILE"))
    var calib: String?

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
        if WeightCheckpoint.format(of: model) != nil {
            try InputFiles.checkReadable(model, what: "model")
            return try CheckpointExport(model: model, config: config, out: out, format: format, json: json,
                                        hasData: !data.isEmpty).run()
        }
        if format.isCheckpointFormat {
            try InputFiles.checkReadable(model, what: "model")
            throw LatheError.badInput(file: model, "--format \(format.rawValue) writes weights-only checkpoints "
                + "(safetensors, GGUF); this is an ONNX model: use --format qdq, fake, config-json or ort-overrides")
        }
        let sets = try NamedDataFile.parse(data)
        try InputFiles.checkReadable(model, what: "model")
        for set in sets { try InputFiles.checkReadable(set.path, what: "data") }
        if let calib {
            guard !sets.isEmpty else { throw LatheError.badInput(file: calib, "--calib needs --data (the sets it calibrates)") }
            try InputFiles.checkReadable(calib, what: "calibration data")
        }
        try InputFiles.checkWritable(out, notOnto: [model, config] + sets.map(\.path) + (calib.map { [$0] } ?? []))
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
        var moreSets: [ExportVerificationSet] = []
        let plan: CompressionPlan
        if !sets.isEmpty {
            var scoring = scored.scoring
            var calibration = try calib.map { try Loading.dataset($0, for: loadedModel) }
            // As `lathe eval`: GPTQ, bias correction and activation ranges calibrate on the first set for every
            // set, so the file's one calibration is the one each set was evaluated with.
            let needsCalibration = RecoveryCalibration.isNeeded(compression)
                || RecoveryCalibration.quantizesActivations(compression)
            var firstPlan: CompressionPlan?
            var firstSession: InferenceSession?
            for set in sets {
                let dataset = try Loading.dataset(set.path, labels: scored.labels, for: loadedModel)
                let setSession = try Loading.session(loadedModel, path: model, data: dataset, output: scored.output,
                                                     outputBatchAxis: scored.outputBatchAxis)
                let setPlan = try ConfigApplication.plan(compression, for: setSession)
                let options = EvaluatorOptions(
                    batchSize: try EngineCommandSupport.batchSize(requested: batching.batch, session: setSession, dataset: dataset),
                    threads: batching.threads ?? ProcessInfo.processInfo.activeProcessorCount, cacheCapacityBytes: 0,
                    calibrationSamples: calibSamples ?? EvaluatorOptions().calibrationSamples, scoring: scoring)
                let bar = ProgressBar()
                do {
                    try Loading.naming(model, or: [set.path, config] + (calib.map { [$0] } ?? []), foreign: .internalFailure) {
                        let made = try PlanEvaluator(session: setSession, dataset: dataset, options: options,
                                                     calibration: needsCalibration ? calibration : nil)
                        if firstSession == nil { Loading.announce(made.scoring) }
                        let evaluation = try made.evaluate(setPlan) { phase, done, total in
                            bar.update(sets.count > 1 ? "\(set.name): \(phase)" : phase, done: done, total: total)
                        }
                        if firstSession == nil {
                            evaluator = made
                            planned = evaluation
                        } else {
                            moreSets.append(ExportVerificationSet(name: set.name, evaluator: made, planned: evaluation))
                        }
                        // Every set is scored as the first one is, as `lathe eval` scores them.
                        scoring = ScoringRequest(metric: evaluation.scoring.metric, classAxis: evaluation.scoring.classAxis)
                    }
                } catch {
                    bar.finish()
                    throw error
                }
                bar.finish()
                if firstSession == nil {
                    firstSession = setSession
                    firstPlan = setPlan
                    if calibration == nil { calibration = dataset }
                }
            }
            guard let firstSession, let firstPlan else { return }
            session = firstSession
            plan = firstPlan
        } else {
            session = try Loading.sessionWithoutData(loadedModel, path: model, output: scored.output)
            plan = try ConfigApplication.plan(compression, for: session)
        }

        let bar = ProgressBar()
        let report: ExportReport
        do {
            report = try Loading.naming(model, or: [out, config] + sets.map(\.path), foreign: .internalFailure) {
                try ModelExporter.export(.init(modelPath: model, outputPath: out, format: format, plan: plan,
                                               session: session, evaluator: evaluator, planned: planned,
                                               setName: sets.first?.name ?? "data", moreSets: moreSets)) { phase, done, total in
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
