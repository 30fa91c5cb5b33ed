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

    /// Loads model and data, checks them against each other, and builds the evaluator.
    static func load(model: String, data: String, output: String?, batch: Int, threads: Int?,
                     cacheMB: Int? = nil) throws -> Loaded {
        try InputFiles.checkReadable(model, what: "model")
        try InputFiles.checkReadable(data, what: "data")
        let loadedModel = try Loading.model(model)
        try Loading.checkOutput(output, of: loadedModel, path: model)
        let dataset = try Loading.dataset(data)
        try Loading.checkSampleShape(dataset, modelPath: model, model: loadedModel)
        let session = try Loading.naming(model) {
            try InferenceSession(model: loadedModel, sampleShape: dataset.sampleShape, output: output)
        }
        var options = EvaluatorOptions(batchSize: min(batch, dataset.count),
                                       threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        if let cacheMB { options.cacheCapacityBytes = cacheMB * 1_000_000 }
        let evaluator = try Loading.naming(data) { try PlanEvaluator(session: session, dataset: dataset, options: options) }
        return Loaded(session: session, dataset: dataset, evaluator: evaluator,
                      modelHash: try ContentHash.hex(ofFile: model), dataHash: try ContentHash.hex(ofFile: data))
    }

    static func validate(batch: Int, threads: Int?, cacheMB: Int? = nil) throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let cacheMB, cacheMB < 0 { throw ValidationError("--cache-mb must be at least 0, got \(cacheMB)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// A metric value for text output: "96.2%".
    static func metric(_ value: Double?) -> String { TextFormatting.percent(value) }
}
