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
        var session: InferenceSession
        var dataset: Dataset
        var evaluator: PlanEvaluator
        var modelHash: String
        var dataHash: String
    }

    /// Loads model and data, binds them (reporting unused arrays and a fixed batch), and builds the evaluator.
    static func load(model: String, data: String, scored: ScoredOutputOption, batch: Int?,
                     threads: Int?, cacheMB: Int? = nil) throws -> Loaded {
        let output = scored.output
        try InputFiles.checkReadable(model, what: "model")
        try InputFiles.checkReadable(data, what: "data")
        let loadedModel = try Loading.model(model)
        try Loading.checkOutput(output, of: loadedModel, path: model)
        let dataset = try Loading.dataset(data, labels: scored.labels, for: loadedModel)
        let session = try Loading.session(loadedModel, path: model, data: dataset, output: output,
                                          outputBatchAxis: scored.outputBatchAxis)
        var options = EvaluatorOptions(batchSize: try batchSize(requested: batch, session: session, dataset: dataset),
                                       threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                       scoring: scored.scoring)
        if let cacheMB { options.cacheCapacityBytes = cacheMB * 1_000_000 }
        let evaluator = try Loading.naming(data) { try PlanEvaluator(session: session, dataset: dataset, options: options) }
        Loading.announce(evaluator.scoring)
        return Loaded(session: session, dataset: dataset, evaluator: evaluator,
                      modelHash: try ContentHash.hex(ofFile: model), dataHash: try ContentHash.hex(ofFile: data))
    }

    /// The default batch when --batch is not given.
    static let defaultBatch = 64

    /// Samples per batch: `requested` (--batch), else 64, never more than the samples. A batch an
    /// input's declaration fixes is kept to: said once on stderr when it replaces the default, and
    /// a larger --batch is refused, naming the input.
    static func batchSize(requested: Int?, session: InferenceSession, dataset: Dataset) throws -> Int {
        let samples = max(1, dataset.count)
        guard let fixed = session.fixedBatch else { return min(requested ?? defaultBatch, samples) }
        if let requested, requested > fixed.size {
            throw LatheError.badInput(file: session.modelPath, "--batch \(requested) is larger than the model runs: "
                + "\(fixed.description); pass --batch \(fixed.size) or less, or leave --batch out")
        }
        if requested == nil && fixed.size < min(defaultBatch, samples) {
            Loading.warn("\(session.modelPath): \(fixed.description), so Lathe runs batches of \(fixed.size)")
        }
        return min(requested ?? fixed.size, samples)
    }

    static func validate(batch: Int?, threads: Int?, cacheMB: Int? = nil) throws {
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let cacheMB, cacheMB < 0 { throw ValidationError("--cache-mb must be at least 0, got \(cacheMB)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

}
