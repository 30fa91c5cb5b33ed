import ArgumentParser
import Foundation
import LatheCore

/// What `sensitivity`, `search` and `bench` share: comma-separated level
/// lists, and a model + data loaded into a plan evaluator.
enum EngineCommandSupport {
    /// "2,4,8" → [2, 4, 8]; names the option in the error.
    static func integers(_ text: String?, option: String) throws -> [Int]? {
        guard let text else { return nil }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("\(option) expects comma-separated integers, e.g. 2,4,8; got '\(text)'")
            }
            return value
        }
    }

    /// "0.5,0.9" → [0.5, 0.9].
    static func ratios(_ text: String?, option: String) throws -> [Double]? {
        guard let text else { return nil }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            guard let value = Double(part.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw ValidationError("\(option) expects comma-separated numbers, e.g. 0.5,0.9; got '\(text)'")
            }
            return value
        }
    }

    struct Loaded {
        /// The first set's session, data and evaluator (what a single-set command uses).
        var session: InferenceSession
        var dataset: Dataset
        var evaluator: PlanEvaluator
        var modelHash: String
        var dataHash: String
        /// Every evaluation set, in the order given (the first is the one above).
        var sets: [EvaluationSet]
        var datasets: [Dataset]
    }

    /// Loads model and data, binds them (reporting unused arrays and a fixed batch), and builds the evaluator.
    static func load(model: String, data: String, scored: ScoredOutputOption, batch: Int?,
                     threads: Int?, cacheMB: Int? = nil) throws -> Loaded {
        try load(model: model, sets: NamedDataFile.parse([data]), scored: scored, batch: batch, threads: threads,
                 cacheMB: cacheMB)
    }

    /// Loads the model and every evaluation set (`--data [NAME=]FILE`, repeated), each bound to the model
    /// and given its own evaluator with an equal share of the activation-cache cap. Every set is scored
    /// with the metric and class axis chosen for the first; a set that cannot be is exit 2 naming its file.
    static func load(model: String, sets files: [NamedDataFile], scored: ScoredOutputOption, batch: Int?,
                     threads: Int?, cacheMB: Int? = nil, calibration: CalibrationOptions? = nil) throws -> Loaded {
        guard !files.isEmpty else { throw LatheError.badInput("--data: give at least one evaluation set") }
        let output = scored.output
        try InputFiles.checkReadable(model, what: "model")
        for file in files { try InputFiles.checkReadable(file.path, what: "data") }
        if let calib = calibration?.calib { try InputFiles.checkReadable(calib, what: "calibration data") }
        let loadedModel = try Loading.model(model)
        try Loading.checkOutput(output, of: loadedModel, path: model)
        let calibrationData = try calibration?.calib.map { try Loading.dataset($0, for: loadedModel) }
        var sets: [EvaluationSet] = []
        var datasets: [Dataset] = []
        var sessions: [InferenceSession] = []
        var scoring = scored.scoring
        for file in files {
            let dataset = try Loading.dataset(file.path, labels: scored.labels, for: loadedModel)
            let session = try Loading.session(loadedModel, path: model, data: dataset, output: output,
                                              outputBatchAxis: scored.outputBatchAxis)
            var options = EvaluatorOptions(batchSize: try batchSize(requested: batch, session: session, dataset: dataset),
                                           threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                           scoring: scoring)
            if let cacheMB { options.cacheCapacityBytes = cacheMB * 1_000_000 }
            if let samples = calibration?.calibSamples { options.calibrationSamples = samples }
            // The sets share the one cap.
            options.cacheCapacityBytes /= files.count
            // GPTQ, SparseGPT and bias correction calibrate on the first set, so every set scores the same weights.
            let evaluator = try Loading.naming(file.path) {
                try PlanEvaluator(session: session, dataset: dataset, options: options,
                                  calibration: calibrationData ?? datasets.first)
            }
            if sets.isEmpty {
                // Every other set is scored as the first one is, so their numbers compare.
                scoring = ScoringRequest(metric: evaluator.scoring.metric, classAxis: evaluator.scoring.classAxis)
            }
            sets.append(EvaluationSet(name: file.name, data: file.path, dataHash: try ContentHash.hex(ofFile: file.path),
                                      evaluator: evaluator))
            datasets.append(dataset)
            sessions.append(session)
        }
        // Said once every set is known to fit, so a refused set's error is the first line on stderr.
        Loading.announce(sets[0].evaluator.scoring)
        return Loaded(session: sessions[0], dataset: datasets[0], evaluator: sets[0].evaluator,
                      modelHash: try ContentHash.hex(ofFile: model), dataHash: sets[0].dataHash, sets: sets,
                      datasets: datasets)
    }

    /// The default batch when --batch is not given.
    static let defaultBatch = 64

    /// Samples per batch: `requested` (--batch), else 64, never more than the samples nor than the activation
    /// budget allows (`boundedByActivations`). A batch an input's declaration fixes is kept to: said once on
    /// stderr when it replaces the default, and a larger --batch is refused, naming the input.
    static func batchSize(requested: Int?, session: InferenceSession, dataset: Dataset) throws -> Int {
        let samples = max(1, dataset.count)
        guard let fixed = session.fixedBatch else {
            return boundedByActivations(min(requested ?? defaultBatch, samples), session: session)
        }
        if let requested, requested > fixed.size {
            throw LatheError.badInput(file: session.modelPath, "--batch \(requested) is larger than the model runs: "
                + "\(fixed.description); pass --batch \(fixed.size) or less, or leave --batch out")
        }
        if requested == nil && fixed.size < min(defaultBatch, samples) {
            Loading.warn("\(session.modelPath): \(fixed.description), so Lathe runs batches of \(fixed.size)")
        }
        return min(requested ?? fixed.size, samples)
    }

    /// What a batch's values may take at their peak: beyond it, fewer samples per batch compute the same (to
    /// rounding) with fewer fresh pages (`ActivationFootprint`).
    static let batchActivationBudget = 48 << 20

    /// `batch`, or fewer samples when that many would take more than `batchActivationBudget` (said on stderr).
    /// Not for a model whose samples share a batch's ranges (dynamic quantization): there a smaller batch would
    /// change the numbers, not only the time.
    static func boundedByActivations(_ batch: Int, session: InferenceSession) -> Int {
        guard batch > 1, !session.batchCouplesSamples, let perSample = session.activationBytesPerSample(),
              perSample > 0 else { return batch }
        let most = max(1, batchActivationBudget / perSample)
        guard most < batch else { return batch }
        // As many batches as the bound needs, evened out: 8 samples at most 7 a batch run as 4 and 4, not 7 and 1.
        let batches = (batch + most - 1) / most
        let bound = (batch + batches - 1) / batches
        let mebibytes = { (bytes: Int) in String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
        Loading.note("\(session.modelPath): batches of \(bound), not \(batch): one sample's values take "
            + "\(mebibytes(perSample)) at their peak, and a batch is kept under \(mebibytes(batchActivationBudget)) "
            + "(larger batches compute the same, to rounding, more slowly: each fresh page is a page fault)")
        return bound
    }

    static func validate(batch: Int?, threads: Int?, cacheMB: Int? = nil) throws {
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let cacheMB, cacheMB < 0 { throw ValidationError("--cache-mb must be at least 0, got \(cacheMB)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

}
