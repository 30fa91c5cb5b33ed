import Foundation

extension Dataset {
    /// Loads an evaluation set from `.npz` (named arrays, matched to the model's inputs by name
    /// when it is bound; optional integer labels under `y`) or `.npy` (one array, named `x`). The
    /// format is recognised by the file's first bytes, whatever its extension. Arrays keep their
    /// file dtype (`uint8` images keep their 0…255 values). Labels `y` hold one entry per
    /// sample: a class (integers, or floats with integral values), classes per position
    /// (`[N, H, W]`), or float targets shaped like the output; `Scoring` decides how they are used.
    ///
    /// `labels` names the labels array (`--labels`; nil: `y` when there is one). An array the
    /// model reads as an input (`modelInputs`) is fed to it: with `labels` nil, a model input named
    /// `y` takes the array `y` and the set has no labels (`LabelSource.feedsInput` says so).
    public static func load(path: String, labels labelsName: String? = nil,
                            modelInputs: Set<String> = []) throws -> Dataset {
        let (contents, file) = try FileInput.opened(path)
        let head = contents.prefix(6)
        var arrays: [DataArray]
        var labels: Tensor?
        if Array(head) == NPYHeader.magic {
            arrays = [try NPYFormat.dataArray(named: "x", contents, file: file) { LatheError.badInput(file: path, $0) }]
        } else if head.starts(with: [0x50, 0x4B]) { // "PK": a ZIP archive
            let stored = try NPZFormat.arrays(path: path, contents: contents, file: file)
            guard !stored.isEmpty else { throw LatheError.badInput(file: path, "holds no arrays") }
            let source = LabelSource(requested: labelsName, modelInputs: modelInputs)
            if let name = labelsName, !stored.contains(where: { $0.name == name }) {
                let names = stored.map { "'\($0.name)'" }.joined(separator: ", ")
                throw LatheError.badInput(file: path, "has no array '\(name)' for --labels; its arrays are \(names)")
            }
            arrays = stored.filter { source.feeds($0.name) }
            guard !arrays.isEmpty else {
                throw LatheError.badInput(file: path, "holds only labels '\(source.name)'; the inputs belong under 'x'")
            }
            labels = try source.labels.flatMap { name in try stored.first(where: { $0.name == name })?.tensor }
        } else {
            throw LatheError.badInput(file: path, "not a dataset: expected an .npy array or an .npz archive")
        }
        // A scalar beside other arrays is one value for every batch (a sample rate); alone it holds no samples.
        if arrays.allSatisfy({ $0.shape.isEmpty }), let array = arrays.first {
            let what = arrays.count == 1 ? "inputs are" : "array '\(array.name)' is"
            throw LatheError.badInput(file: path, "\(what) a single scalar; expected an array [samples, ...]")
        }
        let dataset = Dataset(arrays: arrays, labels: nil, path: path)
        guard dataset.count > 0 else { throw LatheError.badInput(file: path, "dataset is empty (0 samples)") }
        return try dataset.withLabels(labels, named: labelsName ?? "y")
    }

    private func withLabels(_ rawLabels: Tensor?, named name: String) throws -> Dataset {
        guard let rawLabels else { return self }
        guard rawLabels.rank >= 1 else {
            throw LatheError.badInput(file: path, "labels '\(name)' are a single scalar; expected one label (or array) per sample")
        }
        guard rawLabels.shape[0] == count else {
            throw LatheError.badInput(file: path,
                "\(rawLabels.shape[0]) labels for \(count) samples; '\(name)' needs one label per sample")
        }
        var labelled = self
        labelled.labelArray = rawLabels
        // One integer per sample: class labels, which order the evaluation schedule.
        if rawLabels.rank == 1 {
            labelled.labels = Dataset.integerLabels(rawLabels)
        }
        if rawLabels.isFloat, let bad = rawLabels.floats.firstIndex(where: { !$0.isFinite }) {
            throw LatheError.badInput(file: path, "labels '\(name)' must be finite; value \(bad) is \(rawLabels.floats[bad])")
        }
        return labelled
    }

    /// The labels as integers, or nil when a float label is not integral (float targets).
    private static func integerLabels(_ tensor: Tensor) -> [Int]? {
        guard tensor.isFloat else { return tensor.ints.map { Int($0) } }
        var result: [Int] = []
        result.reserveCapacity(tensor.count)
        for value in tensor.floats {
            guard value.isFinite, value.rounded() == value, abs(value) < 0x1p62 else { return nil }
            result.append(Int(value))
        }
        return result
    }
}
