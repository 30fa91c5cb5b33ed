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

    @Option(help: ArgumentHelp("Evaluation data (.npz: one array per model input, by name, and optional labels y; "
                + "or .npy). Repeat as NAME=FILE to evaluate several sets side by side (a bare FILE is named "
                + "after its stem).", valueName: "[NAME=]FILE"))
    var data: [String] = []

    @OptionGroup var scored: ScoredOutputOption

    @OptionGroup var batching: BatchOptions

    @Option(help: "Compression configuration (v1, YAML or JSON) to apply before evaluating.")
    var config: String?

    @Option(name: .customLong("calib-samples"),
            help: ArgumentHelp("Samples (the first ones) calibrating the activation ranges of `abits` layers and "
                + "the input statistics of `method: gptq` / `bias_correction` layers (default: 256)."))
    var calibSamples: Int?

    @Option(help: ArgumentHelp("Calibration data for `method: gptq`, `bias_correction` and the activation ranges "
                + "of `abits` layers, for every set (.npz like --data; default: the first --calib-samples samples "
                + "of the first evaluation set).", valueName: "FILE"))
    var calib: String?

    @Option(name: .customLong("save-outputs"), help: "Write the raw outputs to this .npy file, in the model's own layout (samples along the output's batch axis).")
    var saveOutputs: String?

    @Flag(help: "Print the results as JSON.")
    var json = false

    @Flag(help: ArgumentHelp("After the results, print on stderr the time spent in each kind of op, summed over "
                + "threads (the uncompressed reference pass of a --config included)."))
    var profile = false

    func validate() throws {
        try EngineCommandSupport.validate(batch: batching.batch, threads: batching.threads)
        guard !data.isEmpty else { throw ValidationError("Missing expected argument '--data <[NAME=]FILE>'") }
        if data.count > 1, saveOutputs != nil {
            throw ValidationError("--save-outputs takes one evaluation set; give a single --data")
        }
        if let calibSamples {
            guard calibSamples >= 1 else { throw ValidationError("--calib-samples must be at least 1, got \(calibSamples)") }
            guard config != nil else { throw ValidationError("--calib-samples needs --config (it calibrates the config's abits)") }
        }
    }

    func run() throws {
        let sets = try NamedDataFile.parse(data)
        let paths = sets.map(\.path)
        try InputFiles.checkReadable(model, what: "model")
        for path in paths { try InputFiles.checkReadable(path, what: "data") }
        if let saveOutputs { try InputFiles.checkWritable(saveOutputs, notOnto: [model] + paths + (config.map { [$0] } ?? [])) }
        // The configuration is checked before the (slower) model and data loading.
        let compression = try config.map(ConfigApplication.read)
        if let calib { try InputFiles.checkReadable(calib, what: "calibration data") }
        let loadedModel = try Loading.model(model)
        try Loading.checkOutput(scored.output, of: loadedModel, path: model)
        let needsCalibration = compression.map(RecoveryCalibration.isNeeded) ?? false
        // Activation ranges calibrate on one source for every set too (the first set's samples, or --calib).
        let quantizesActivations = compression.map(RecoveryCalibration.quantizesActivations) ?? false
        var calibration = try needsCalibration || quantizesActivations
            ? calib.map { try Loading.dataset($0, for: loadedModel) } : nil
        var results: [EvalResult.Set] = []
        var scoring = scored.scoring
        OpProfile.shared.isRecording = profile
        var firstDataset: Dataset?
        for set in sets {
            let dataset = try Loading.dataset(set.path, labels: scored.labels, for: loadedModel)
            let session = try Loading.session(loadedModel, path: model, data: dataset, output: scored.output,
                                              outputBatchAxis: scored.outputBatchAxis)
            let plan = try compression.map { try ConfigApplication.plan($0, for: session) }
                ?? .identity(layers: session.layers)
            if needsCalibration && calibration == nil {
                // Every set is evaluated with the weights the first set's samples calibrated.
                RecoveryCalibration.noteOverlap(data: set.path, samples: calibSamples ?? EvaluatorOptions().calibrationSamples)
                calibration = dataset
            } else if quantizesActivations && calibration == nil && !results.isEmpty {
                // The further sets take the first set's activation ranges (the first set calibrates on its
                // own samples, as a single set always has: its evaluator needs no separate source).
                calibration = firstDataset
            }
            let batchSize = try EngineCommandSupport.batchSize(requested: batching.batch, session: session, dataset: dataset)
            let options = EvaluatorOptions(batchSize: batchSize,
                                           threads: batching.threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                           cacheCapacityBytes: 0,
                                           calibrationSamples: calibSamples ?? EvaluatorOptions().calibrationSamples,
                                           scoring: scoring)
            let bar = ProgressBar()
            let report: PlanEvaluation
            do {
                report = try Loading.naming(model, or: [set.path] + (config.map { [$0] } ?? []) + (calib.map { [$0] } ?? []), foreign: .internalFailure) {
                    let evaluator = try PlanEvaluator(session: session, dataset: dataset, options: options,
                                                      calibration: calibration)
                    if results.isEmpty { Loading.announce(evaluator.scoring) }
                    return try evaluator.evaluate(plan) { phase, done, total in
                        bar.update(sets.count > 1 ? "\(set.name): \(phase)" : phase, done: done, total: total)
                    }
                }
            } catch {
                bar.finish()  // the error message starts on a clean line
                throw error
            }
            bar.finish()
            if firstDataset == nil { firstDataset = dataset }
            // Every set is scored as the first one is, so their numbers compare.
            scoring = ScoringRequest(metric: report.scoring.metric, classAxis: report.scoring.classAxis)
            results.append(EvalResult.Set(name: set.name, data: set.path, output: session.outputName, report: report))
        }
        if let saveOutputs, let first = results.first { try OutputFiles.writeNPY(first.report.outputs, to: saveOutputs) }
        let result = EvalResult(model: model, config: config, sets: results)
        print(json ? result.json.rendered() : result.text)
        if profile { FileHandle.standardError.write(Data(OpProfileTable.text(OpProfile.shared.entries).utf8)) }
    }
}
