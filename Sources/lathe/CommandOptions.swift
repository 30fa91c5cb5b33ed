import ArgumentParser
import LatheCore

// Options several commands share, declared once so their flags, help and
// defaults cannot drift apart. None defines `validate()`: an option group's
// validation runs while parsing, ahead of the command's own, so the commands
// check these values themselves (EngineCommandSupport.validate) and keep the
// order of their error messages.

/// The model argument and the evaluation data of `bench` and `search`.
struct ModelDataOptions: ParsableArguments {
    @Argument(help: "The model (.onnx).")
    var model: String

    @Option(help: ArgumentHelp(DataSetsHelp.text, valueName: "[NAME=]FILE"))
    var data: [String] = []

    /// `--data` is required (an array option's absence is checked here, with the usual words).
    func checkData() throws {
        guard !data.isEmpty else { throw ValidationError("Missing expected argument '--data <[NAME=]FILE>'") }
    }
}

/// The words every command's `--data` help shares.
enum DataSetsHelp {
    static let text = "Evaluation data (.npz: one array per model input, by name, and optional labels y). Repeat "
        + "as NAME=FILE to use several sets side by side (a bare FILE is named after its stem); every set is "
        + "scored with the first one's metric."
}

/// `--output`: which model output is scored; `--output-batch-axis`: which of its axes holds the samples;
/// `--metric` and `--class-axis`: how it is scored (`Scoring`).
struct ScoredOutputOption: ParsableArguments {
    @Option(help: "Name of the model output to score (default: the first output).")
    var output: String?

    @Option(name: .customLong("output-batch-axis"),
            help: ArgumentHelp("Axis of the scored output that holds the samples (default: found by shape inference, "
                + "e.g. 1 for a sequence-first [T, N, C] output).", valueName: "K"))
    var outputBatchAxis: Int?

    @Option(help: ArgumentHelp("How the output is scored: auto, top1, agree, sqnr, cosine, mse or mae (default: auto, "
                + "chosen from the output's shape and the labels; the choice is said on stderr).", valueName: "NAME"))
    var metric: MetricChoice = .auto

    @Option(name: .customLong("class-axis"),
            help: ArgumentHelp("Class axis of the scored output, counted with the samples first (default: 1 for "
                + "[N, C] and [N, C, H, W], the last for [N, T, C]).", valueName: "K"))
    var classAxis: Int?

    @OptionGroup var labelsOption: LabelsOption

    var scoring: ScoringRequest { ScoringRequest(metric: metric.metric, classAxis: classAxis) }
    /// The labels array `--labels` names (nil: the default `y`).
    var labels: String? { labelsOption.labels }
}

/// `--labels NAME`: the data array that holds the labels (default `y`; a model input named `y` is fed
/// the array `y`, and then the labels must be named).
struct LabelsOption: ParsableArguments {
    @Option(name: .customLong("labels"),
            help: ArgumentHelp("Data array holding the labels (default: y; when the model has an input named y, "
                + "the array y feeds it and the labels need this option).", valueName: "NAME"))
    var labels: String?
}

/// `--metric`'s values: a metric, or `auto`.
enum MetricChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, top1, agree, sqnr, cosine, mse, mae

    var metric: ScoreMetric? { ScoreMetric(rawValue: rawValue) }
}

/// `--batch` and `--threads`: how an evaluation is split over batches and workers.
struct BatchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Samples per batch at most (default: 64, or the batch a model input fixes); fewer "
                + "when a batch's values would take more than 48 MiB, said on stderr."))
    var batch: Int?

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?
}

/// `--cache-mb`: the memory cap of the live engine's activation cache.
struct ActivationCacheOption: ParsableArguments {
    @Option(name: .customLong("cache-mb"),
            help: "Memory cap of the activation cache in MB (default: a quarter of RAM, at most 2048 MiB; 0 disables it).")
    var cacheMB: Int?
}

/// `--calib`, `--calib-samples`: the data GPTQ levels (sweep, search) calibrate on.
struct CalibrationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Calibration data for GPTQ, bias correction and `abits` activation ranges, for every "
                + "set (.npz like --data; default: the first --calib-samples samples of the first evaluation set, "
                + "which are then also evaluated).", valueName: "FILE"))
    var calib: String?

    @Option(name: .customLong("calib-samples"),
            help: ArgumentHelp("Samples (the first ones) GPTQ and activation ranges calibrate on (default: 256).", valueName: "N"))
    var calibSamples: Int?

    func check() throws {
        if let calibSamples, calibSamples < 1 {
            throw ValidationError("--calib-samples must be at least 1, got \(calibSamples)")
        }
    }
}

/// `--stop-at`: when a sweep level's pass stops early (`SensitivityRequest.stopLoss`).
struct StopLossOption: ParsableArguments {
    @Option(name: .customLong("stop-at"),
            help: ArgumentHelp("Stop a level's pass once it is certain to lose at least LOSS against the baseline, "
                + "whatever the samples left hold (0.05: five points of top-1, agreement or cosine, 5% more mse or "
                + "mae, noise at 5% of the signal's power for SQNR); such an entry shows its value on the samples "
                + "it ran, marked ~. With top-1 or agreement, samples run least certain first, and a pass also "
                + "stops once every sample left has a margin between its top two classes over "
                + "\(String(format: "%g", 2 * SensitivityRequest.marginFactor))× the largest "
                + "output change seen (those count as the uncompressed model scores them). `none` runs every level "
                + "on every sample.", valueName: "LOSS"))
    var stopAt: String = StopLossOption.defaultText

    static let defaultText = String(SensitivityRequest.defaultStopLoss)

    /// The loss, or nil for `none`; exit 2 for anything else that is not a positive number.
    func loss() throws -> Double? {
        if stopAt.lowercased() == "none" { return nil }
        guard let loss = Double(stopAt), loss.isFinite, loss > 0 else {
            throw LatheError.badInput("--stop-at \(stopAt): expected a positive loss such as 0.05, or none")
        }
        return loss
    }
}
