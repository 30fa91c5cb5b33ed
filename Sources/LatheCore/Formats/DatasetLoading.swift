import Foundation

extension Dataset {
    /// Loads an evaluation set from `.npz` (inputs under key `x`, else the first array other than `y`;
    /// optional integer labels under `y`) or `.npy` (inputs only). The format is recognised by the
    /// file's first bytes, whatever its extension. Inputs become float32 (`uint8` images keep their
    /// 0…255 values); labels must be integers (or floats with integral values), one per sample.
    public static func load(path: String) throws -> Dataset {
        let contents = try FileInput.contents(of: path)
        let head = contents.prefix(6)
        let inputs: Tensor
        var labels: Tensor?
        if Array(head) == NPYHeader.magic {
            inputs = try NPYFormat.decode(contents) { LatheError.badInput(file: path, $0) }
        } else if head.starts(with: [0x50, 0x4B]) { // "PK": a ZIP archive
            let arrays = try NPZFormat.read(path: path)
            guard !arrays.isEmpty else { throw LatheError.badInput(file: path, "holds no arrays") }
            guard let chosen = arrays.first(where: { $0.name == "x" }) ?? arrays.first(where: { $0.name != "y" })
            else {
                throw LatheError.badInput(file: path, "holds only labels 'y'; the inputs belong under 'x'")
            }
            inputs = chosen.tensor
            labels = arrays.first(where: { $0.name == "y" })?.tensor
        } else {
            throw LatheError.badInput(file: path, "not a dataset: expected an .npy array or an .npz archive")
        }
        return try Dataset(validatingInputs: inputs, labels: labels, path: path)
    }

    private init(validatingInputs raw: Tensor, labels rawLabels: Tensor?, path: String) throws {
        guard raw.rank >= 1 else {
            throw LatheError.badInput(file: path, "inputs are a single scalar; expected an array [samples, ...]")
        }
        guard raw.shape[0] > 0 else { throw LatheError.badInput(file: path, "dataset is empty (0 samples)") }
        let inputs = Tensor(shape: raw.shape, floats: raw.asFloats, dtype: .float32)
        var labels: [Int]?
        if let rawLabels {
            guard rawLabels.rank == 1 else {
                throw LatheError.badInput(file: path, "labels 'y' must be 1-D, got shape \(rawLabels.shape)")
            }
            guard rawLabels.count == raw.shape[0] else {
                throw LatheError.badInput(file: path,
                    "\(rawLabels.count) labels for \(raw.shape[0]) samples; 'y' needs one label per sample")
            }
            labels = try Dataset.integerLabels(rawLabels, path: path)
        }
        self.init(inputs: inputs, labels: labels, path: path)
    }

    private static func integerLabels(_ tensor: Tensor, path: String) throws -> [Int] {
        guard tensor.isFloat else { return tensor.ints.map { Int($0) } }
        var result: [Int] = []
        result.reserveCapacity(tensor.count)
        for (index, value) in tensor.floats.enumerated() {
            guard value.isFinite, value.rounded() == value, abs(value) < 0x1p62 else {
                throw LatheError.badInput(file: path,
                    "labels 'y' must be integers; label \(index) is \(value)")
            }
            result.append(Int(value))
        }
        return result
    }
}
