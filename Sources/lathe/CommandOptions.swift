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

    @Option(help: "Evaluation data (.npz with x and optional labels y).")
    var data: String
}

/// `--output`: which model output is scored.
struct ScoredOutputOption: ParsableArguments {
    @Option(help: "Name of the model output to score (default: the first output).")
    var output: String?
}

/// `--batch` and `--threads`: how an evaluation is split over batches and workers.
struct BatchOptions: ParsableArguments {
    @Option(help: "Samples per batch.")
    var batch: Int = 64

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?
}

/// `--cache-mb`: the memory cap of the live engine's activation cache.
struct ActivationCacheOption: ParsableArguments {
    @Option(name: .customLong("cache-mb"),
            help: "Memory cap of the activation cache in MB (default: a quarter of RAM; 0 disables it).")
    var cacheMB: Int?
}
