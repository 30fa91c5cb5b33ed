import Foundation
import LatheCore

/// Loading the user's model and data with the checks every command shares.
enum Loading {
    static func model(_ path: String) throws -> Model {
        try InputFiles.checkReadable(path, what: "model")
        let model = try naming(path) { try ONNXReader.read(path: path) }
        try OpRegistry.checkOpset(of: model)
        return model
    }

    /// The evaluation set at `path` for `model`: an array named like one of the model's inputs
    /// feeds it, `y` included (then, without `--labels`, the set has no labels: one note on
    /// stderr says so); `labels` (`--labels`) names the labels array.
    static func dataset(_ path: String, labels: String? = nil, for model: Model? = nil) throws -> Dataset {
        try InputFiles.checkReadable(path, what: "data")
        let inputs = Set((model?.graph.inputs ?? []).map(\.name).filter { model?.graph.initializers[$0] == nil })
        let source = LabelSource(requested: labels, modelInputs: inputs)
        let dataset = try naming(path) { try Dataset.load(path: path, labels: labels, modelInputs: inputs) }
        if source.feedsInput { note("\(path): \(LabelSource.feedsInputNote)") }
        guard dataset.count > 0 else {
            throw LatheError.badInput(file: path, "holds no samples")
        }
        if let labels = dataset.labels, labels.count != dataset.count {
            throw LatheError.badInput(
                file: path, "has \(labels.count) labels for \(dataset.count) samples; the counts must match")
        }
        return dataset
    }

    /// Checks that `output`, when given, names a tensor the model produces.
    static func checkOutput(_ output: String?, of model: Model, path: String) throws {
        guard let output else { return }
        let declared = model.graph.outputs.map(\.name)
        let produced = Set(model.graph.nodes.flatMap(\.outputs))
        guard declared.contains(output) || produced.contains(output) else {
            throw LatheError.badInput(
                file: path,
                "has no output named '\(output)'; its outputs are \(declared.map { "'\($0)'" }.joined(separator: ", "))")
        }
    }

    /// The model bound to `data`'s arrays (matched to its inputs by name; the
    /// binding checks shapes against the declared dims and reports the problem
    /// against the data file). Unused arrays are reported once on stderr.
    static func session(_ model: Model, path: String, data: Dataset, output: String?,
                        outputBatchAxis: Int? = nil) throws -> InferenceSession {
        let session = try naming(path, or: [data.path]) {
            try InferenceSession(model: model, data: data.layout, output: output, outputBatchAxis: outputBatchAxis)
        }
        for notice in session.notices { warn(notice) }
        return session
    }

    /// The model bound to its inputs' declared shapes, for looking at it without data.
    static func sessionWithoutData(_ model: Model, path: String, output: String?) throws -> InferenceSession {
        try naming(path) { try InferenceSession(model: model, data: .declared(by: model), output: output) }
    }

    /// One line on stderr, `warning: …`.
    /// Says which metric was chosen automatically and why (one stderr line; nothing when --metric named it).
    static func announce(_ scoring: Scoring) {
        guard scoring.reason != Scoring.requestedReason else { return }
        StderrNotes.print("metric: \(scoring.metric.rawValue) (\(scoring.reason))")
    }

    /// One line on stderr, `note: …`.
    static func note(_ message: String) {
        StderrNotes.print("note: \(message)")
    }

    static func warn(_ message: String) {
        StderrNotes.print("warning: \(message)")
    }

    /// Runs a loader so that whatever it throws names `path` (or one of `others`,
    /// when the problem lies there): a LatheError keeps its kind, and a foreign
    /// error (a decoder's) is reported as `foreign`, by default unreadable input.
    static func naming<T>(_ path: String, or others: [String] = [], foreign: LatheError.Kind = .badInput,
                          _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as LatheError {
            guard !([path] + others).contains(where: { error.message.contains($0) }) else { throw error }
            throw LatheError(error.kind, "\(path): \(error.message)")
        } catch {
            throw foreign == .badInput ? LatheError.badInput(file: path, "cannot be read: \(error)")
                : LatheError.internalFailure("\(path): \(error)")
        }
    }
}
