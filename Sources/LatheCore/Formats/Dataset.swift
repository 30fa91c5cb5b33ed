/// One named array of an evaluation set, at the dtype the file stores it.
public struct DataArray: Sendable, Equatable {
    public var name: String
    public var tensor: Tensor

    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// An evaluation set: named arrays with samples along axis 0 (an array with a
/// leading 1 while others hold N samples is one value shared by every batch:
/// a recurrent state, a mask), and optional labels `y`. Arrays keep their
/// file dtype; binding them to a model's inputs (`FeedData`) converts them to
/// the dtypes the inputs declare.
public struct Dataset: Sendable {
    /// In file order (the first one is a single-input model's default).
    public var arrays: [DataArray]
    /// Class labels, one integer per sample: `y` when it is 1-D and integer-valued
    /// (they order the evaluation schedule; `labelArray` holds every kind of `y`).
    public var labels: [Int]?
    /// `y` as stored, samples first, any shape: per-position classes (`[N]`,
    /// `[N, H, W]`, `[N, T]`) or float targets shaped like the output.
    public var labelArray: Tensor?
    /// Where it was read from (for messages and cache keys).
    public var path: String

    public init(arrays: [DataArray], labels: [Int]?, path: String) {
        self.arrays = arrays
        self.labels = labels
        self.labelArray = labels.map { Tensor(shape: [$0.count], ints: $0.map(Int64.init)) }
        self.path = path
    }

    /// A dataset of one array named `x` (what a single-input model is fed).
    public init(inputs: Tensor, labels: [Int]?, path: String) {
        self.init(arrays: [DataArray(name: "x", tensor: inputs)], labels: labels, path: path)
    }

    public func array(named name: String) -> Tensor? { arrays.first { $0.name == name }?.tensor }

    /// The array a single-input model reads by default: `x`, else the first one.
    public var primary: DataArray? { arrays.first { $0.name == "x" } ?? arrays.first }

    /// Samples: the largest leading dimension (arrays with a leading 1 are shared, not samples).
    public var count: Int { arrays.map { $0.tensor.shape.first ?? 1 }.max() ?? 0 }

    /// The primary array's per-sample shape.
    public var sampleShape: [Int] { Array(primary?.tensor.shape.dropFirst() ?? []) }

    /// Names, shapes and dtypes of the arrays: what binding a model to this data needs.
    public var layout: DataLayout {
        DataLayout(arrays: arrays.map { DataLayout.Entry(name: $0.name, shape: $0.tensor.shape, dtype: $0.tensor.dtype) },
                   kind: .samples, path: path)
    }

    /// Samples `range` of the primary array, at its file dtype (a single-input model's batch).
    public func batch(_ range: Range<Int>) -> Tensor {
        guard let tensor = primary?.tensor else { return Tensor.zeros([0]) }
        let rowShape = Array(tensor.shape.dropFirst())
        let per = rowShape.reduce(1, *)
        let shape = [range.count] + rowShape
        let elements = (range.lowerBound * per)..<(range.upperBound * per)
        return tensor.isFloat ? Tensor(shape: shape, floats: Array(tensor.floats[elements]), dtype: tensor.dtype)
            : Tensor(shape: shape, ints: Array(tensor.ints[elements]), dtype: tensor.dtype)
    }

    /// The first `limit` samples: per-sample arrays cut, shared (leading-1) arrays kept whole.
    public func prefix(_ limit: Int) -> Dataset {
        let samples = count
        guard limit < samples else { return self }
        let cut = arrays.map { array -> DataArray in
            guard array.tensor.shape.first == samples else { return array }
            let rows = Dataset(arrays: [array], labels: nil, path: path).batch(0..<limit)
            return DataArray(name: array.name, tensor: rows)
        }
        var result = Dataset(arrays: cut, labels: labels.map { Array($0.prefix(limit)) }, path: path)
        result.labelArray = labelArray.map { $0.shape.first == samples ? $0.rows(0..<limit, alongAxis: 0) : $0 }
        return result
    }
}
