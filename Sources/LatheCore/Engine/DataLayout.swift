/// What the data offers a model, without the values: each array's name, shape
/// and dtype. A session is bound to a layout (`ModelBinding.bind`), so it knows
/// which array feeds which graph input before any data is gathered.
public struct DataLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        /// The whole array's shape (samples first, for `.samples` layouts).
        public var shape: [Int]
        public var dtype: DType

        public init(name: String, shape: [Int], dtype: DType) {
            self.name = name
            self.shape = shape
            self.dtype = dtype
        }
    }

    public enum Kind: Sendable, Equatable {
        /// Axis 0 counts samples; an array with a leading 1 while others hold N samples is shared.
        case samples
        /// Each array is one whole batch (the shapes a model declares, for `inspect` without data).
        case oneBatch
    }

    public var arrays: [Entry]
    public var kind: Kind
    /// The data file, for messages ("" when the layout comes from elsewhere).
    public var path: String

    public init(arrays: [Entry], kind: Kind, path: String) {
        self.arrays = arrays
        self.kind = kind
        self.path = path
    }

    public func entry(named name: String) -> Entry? { arrays.first { $0.name == name } }

    /// The array a single-input model reads by default: `x`, else the first one.
    var primary: Entry? { entry(named: "x") ?? arrays.first }

    /// One float32 array `x` of one sample shaped `sampleShape`: a single-input model's layout.
    public static func sample(shape sampleShape: [Int]) -> DataLayout {
        DataLayout(arrays: [Entry(name: "x", shape: [1] + sampleShape, dtype: .float32)], kind: .samples, path: "")
    }

    /// The inputs' declared shapes as one batch (a symbolic first dimension taken as 1), for
    /// looking at a model without data. Inputs whose other dimensions are not all fixed are
    /// left out: binding a model that needs them says to pass data.
    public static func declared(by model: Model) -> DataLayout {
        var arrays: [Entry] = []
        for input in model.graph.inputs where model.graph.initializers[input.name] == nil {
            guard let dims = input.dims, !dims.isEmpty else { continue }
            var shape: [Int] = []
            for (axis, dim) in dims.enumerated() {
                switch dim {
                case .fixed(let size) where size > 0: shape.append(size)
                case .symbolic where axis == 0: shape.append(1)
                default: break
                }
            }
            if shape.count == dims.count {
                arrays.append(Entry(name: input.name, shape: shape, dtype: input.dtype ?? .float32))
            }
        }
        return DataLayout(arrays: arrays, kind: .oneBatch, path: "")
    }
}

/// How one graph input is fed from the data.
public struct InputFeed: Sendable, Equatable {
    /// The graph input.
    public var name: String
    /// The data array feeding it.
    public var source: String
    /// The declared dtype (nil: undeclared; the data's dtype is used as is).
    public var dtype: DType?
    /// The declared dimensions, for messages.
    public var dims: [Dimension]?
    /// Per-sample shape, or the whole array's shape when `isShared`.
    public var shape: [Int]
    /// Fed unchanged to every batch (a leading-1 array among N-sample ones, or a scalar).
    public var isShared: Bool
    /// Where the model takes the samples: 0 for most inputs; the axis of the batch's symbolic
    /// dim for state inputs such as `[2, batch, 128]`. The data holds them samples first.
    public var batchAxis: Int

    public init(name: String, source: String, dtype: DType?, dims: [Dimension]?, shape: [Int], isShared: Bool,
                batchAxis: Int = 0) {
        self.name = name
        self.source = source
        self.dtype = dtype
        self.dims = dims
        self.shape = shape
        self.isShared = isShared
        self.batchAxis = batchAxis
    }

    /// The shape this input has in a batch of `batchSize` samples.
    public func shape(batchSize: Int) -> [Int] {
        guard !isShared else { return shape }
        var shape = shape
        shape.insert(batchSize, at: Swift.min(batchAxis, shape.count))
        return shape
    }

    /// "'h0' (float32 [N, 1, 32])": the input as the model declares it.
    public var declaration: String {
        "'\(name)' (\(dtype?.rawValue ?? "untyped") \(dims.map { ModelBinding.describe($0) } ?? "of undeclared shape"))"
    }
}

/// A batch size an input's declaration fixes (`image` [1, 3, 96, 96]).
public struct FixedBatch: Sendable, Equatable {
    public var size: Int
    public var input: String
    public var dims: [Dimension]

    /// "input 'image' [1, 3, 96, 96] fixes the batch at 1".
    public var description: String {
        "input '\(input)' \(ModelBinding.describe(dims)) fixes the batch at \(size)"
    }
}
