import ArgumentParser

// Options several commands share, declared once so their flags, help and
// defaults cannot drift apart. None defines `validate()`: an option group's
// validation runs while parsing, ahead of the command's own, so the commands
// check these values themselves (EngineCommandSupport.validate) and keep the
// order of their error messages.

/// The model argument and the evaluation data of `bench` and `search`.
struct ModelDataOptions: ParsableArguments {
    @Argument(help: "The model (.onnx).")
    var model: String

    @Option(help: "Evaluation data (.npz: one array per model input, by name, and optional labels y).")
    var data: String
}

/// `--output`: which model output is scored; `--output-batch-axis`: which of its axes holds the samples.
struct ScoredOutputOption: ParsableArguments {
    @Option(help: "Name of the model output to score (default: the first output).")
    var output: String?

    @Option(name: .customLong("output-batch-axis"),
            help: ArgumentHelp("Axis of the scored output that holds the samples (default: found by shape inference, "
                + "e.g. 1 for a sequence-first [T, N, C] output).", valueName: "K"))
    var outputBatchAxis: Int?
}

/// `--batch` and `--threads`: how an evaluation is split over batches and workers.
struct BatchOptions: ParsableArguments {
    @Option(help: "Samples per batch (default: 64, or the batch a model input fixes).")
    var batch: Int?

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?
}

/// `--cache-mb`: the memory cap of the live engine's activation cache.
struct ActivationCacheOption: ParsableArguments {
    @Option(name: .customLong("cache-mb"),
            help: "Memory cap of the activation cache in MB (default: a quarter of RAM; 0 disables it).")
    var cacheMB: Int?
}
