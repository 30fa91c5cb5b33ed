/// One named array of an evaluation set, at the dtype the file stores it. Its elements are
/// decoded, or, for float32 and uint8 arrays, kept as stored and decoded a batch at a time
/// (`RawElements`, `FeedData`): in the file for an `.npy` file or a stored `.npz` member.
public struct DataArray: Sendable, Equatable {
    public var name: String
    public let shape: [Int]
    public let dtype: DType
    let elements: Elements

    enum Elements: Sendable {
        case decoded(Tensor)
        case raw(RawElements)
    }

    public init(name: String, tensor: Tensor) {
        self.name = name
        self.shape = tensor.shape
        self.dtype = tensor.dtype
        self.elements = .decoded(tensor)
    }

    init(name: String, raw: RawElements, shape: [Int]) {
        self.name = name
        self.shape = shape
        self.dtype = raw.dtype
        self.elements = .raw(raw)
    }

    /// Every element (an array kept raw is decoded whole now).
    /// - Throws: `badInput` naming the file when it changed since it was loaded.
    public var tensor: Tensor {
        get throws {
            switch elements {
            case .decoded(let tensor): return tensor
            case .raw(let raw): return try raw.tensor(shape: shape)
            }
        }
    }

    /// Whether the elements are read from the file as batches need them.
    public var isInFile: Bool {
        if case .raw(let raw) = elements { return raw.isInFile }
        return false
    }

    /// Whether the elements are kept as stored (in the file or in memory) rather than decoded.
    public var isRaw: Bool {
        if case .raw = elements { return true }
        return false
    }

    public static func == (a: DataArray, b: DataArray) -> Bool {
        a.name == b.name && a.shape == b.shape && a.dtype == b.dtype && (try? a.tensor) == (try? b.tensor)
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

    public func array(named name: String) throws -> Tensor? { try arrays.first { $0.name == name }?.tensor }

    /// The array a single-input model reads by default: `x`, else the first one.
    public var primary: DataArray? { arrays.first { $0.name == "x" } ?? arrays.first }

    /// Samples: the largest leading dimension (arrays with a leading 1 are shared, not samples).
    public var count: Int { arrays.map { $0.shape.first ?? 1 }.max() ?? 0 }

    /// The primary array's per-sample shape.
    public var sampleShape: [Int] { Array(primary?.shape.dropFirst() ?? []) }

    /// Names, shapes and dtypes of the arrays: what binding a model to this data needs.
    public var layout: DataLayout {
        DataLayout(arrays: arrays.map { DataLayout.Entry(name: $0.name, shape: $0.shape, dtype: $0.dtype) },
                   kind: .samples, path: path)
    }

    /// Samples `range` of the primary array, at its file dtype (a single-input model's batch).
    public func batch(_ range: Range<Int>) throws -> Tensor {
        guard let tensor = try primary?.tensor else { return Tensor.zeros([0]) }
        let rowShape = Array(tensor.shape.dropFirst())
        let per = rowShape.reduce(1, *)
        let shape = [range.count] + rowShape
        let elements = (range.lowerBound * per)..<(range.upperBound * per)
        return tensor.isFloat ? Tensor(shape: shape, floats: Array(tensor.floats[elements]), dtype: tensor.dtype)
            : Tensor(shape: shape, ints: Array(tensor.ints[elements]), dtype: tensor.dtype)
    }

    /// The first `limit` samples: per-sample arrays cut, shared (leading-1) arrays kept whole.
    public func prefix(_ limit: Int) throws -> Dataset {
        let samples = count
        guard limit < samples else { return self }
        let cut = try arrays.map { array -> DataArray in
            guard array.shape.first == samples else { return array }
            let rows = try Dataset(arrays: [array], labels: nil, path: path).batch(0..<limit)
            return DataArray(name: array.name, tensor: rows)
        }
        var result = Dataset(arrays: cut, labels: labels.map { Array($0.prefix(limit)) }, path: path)
        result.labelArray = labelArray.map { $0.shape.first == samples ? $0.rows(0..<limit, alongAxis: 0) : $0 }
        return result
    }
}
