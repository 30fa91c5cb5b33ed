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

    static func dataset(_ path: String) throws -> Dataset {
        try InputFiles.checkReadable(path, what: "data")
        let dataset = try naming(path) { try Dataset.load(path: path) }
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

    /// Checks the data's sample shape against the model input's declared fixed
    /// dimensions (symbolic ones accept anything), so a mismatch is reported
    /// against the data file in the user's terms.
    static func checkSampleShape(_ dataset: Dataset, modelPath: String, model: Model) throws {
        guard let input = model.graph.inputs.first, let dims = input.dims, !dims.isEmpty else { return }
        let expected = Array(dims.dropFirst())
        let sample = dataset.sampleShape
        let matches = expected.count == sample.count && zip(expected, sample).allSatisfy { dim, size in
            if case .fixed(let n) = dim { return n == size }
            return true
        }
        guard matches else {
            throw LatheError.badInput(
                file: dataset.path,
                "samples have shape \(sample), but model \(modelPath) input '\(input.name)' expects "
                    + describe(expected) + " per sample")
        }
    }

    /// The per-sample shape for `inspect` without data: the model input's declared
    /// dimensions after the batch dimension, which all have to be fixed.
    static func declaredSampleShape(of model: Model, path: String) throws -> [Int] {
        guard let input = model.graph.inputs.first else {
            throw LatheError.badInput(file: path, "the model declares no input")
        }
        guard let dims = input.dims, !dims.isEmpty else {
            throw LatheError.badInput(
                file: path, "input '\(input.name)' has no declared shape; pass --data FILE to give a sample shape")
        }
        var shape: [Int] = []
        for dim in dims.dropFirst() {
            guard case .fixed(let n) = dim, n > 0 else {
                throw LatheError.badInput(
                    file: path,
                    "input '\(input.name)' has dimensions \(describe(dims)) that are not all fixed; "
                        + "pass --data FILE to give a sample shape")
            }
            shape.append(n)
        }
        return shape
    }

    static func describe(_ dims: [LatheCore.Dimension]) -> String {
        "[" + dims.map { dim in
            switch dim {
            case .fixed(let n): return String(n)
            case .symbolic(let name): return name.isEmpty ? "?" : name
            }
        }.joined(separator: ", ") + "]"
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
