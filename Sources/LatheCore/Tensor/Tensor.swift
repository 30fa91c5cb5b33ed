/// A dense, row-major (C order) tensor. Value type: copies are cheap until
/// written (Swift arrays are copy-on-write), so passing weights around never
/// copies them.
///
/// Exactly one of `floats` / `ints` holds the elements, chosen by
/// `dtype.isFloatingPoint`; the other is empty.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var dtype: DType
    public var floats: [Float]
    public var ints: [Int64]

    public init(shape: [Int], floats: [Float], dtype: DType = .float32) {
        precondition(dtype.isFloatingPoint, "floats need a floating dtype")
        precondition(shape.reduce(1, *) == floats.count, "shape \(shape) does not hold \(floats.count) elements")
        self.shape = shape
        self.dtype = dtype
        self.floats = floats
        self.ints = []
    }

    public init(shape: [Int], ints: [Int64], dtype: DType = .int64) {
        precondition(!dtype.isFloatingPoint, "ints need an integer dtype")
        precondition(shape.reduce(1, *) == ints.count, "shape \(shape) does not hold \(ints.count) elements")
        self.shape = shape
        self.dtype = dtype
        self.floats = []
        self.ints = ints
    }

    public static func scalar(_ value: Float) -> Tensor { Tensor(shape: [], floats: [value]) }
    public static func scalar(int value: Int64) -> Tensor { Tensor(shape: [], ints: [value]) }
    public static func zeros(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, floats: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }
    public var isFloat: Bool { dtype.isFloatingPoint }

    /// Elements as Float whatever the dtype (integers converted).
    public var asFloats: [Float] { isFloat ? floats : ints.map { Float($0) } }
    /// Elements as Int64 whatever the dtype (floats truncated toward zero, as ONNX Cast does).
    public var asInts: [Int64] { isFloat ? floats.map { Int64($0) } : ints }

    /// Bytes this tensor occupies at its stored dtype (4-bit types packed two per byte).
    public var storedBytes: Int { dtype.packedBytes(count: count) }
}

/// Row-major strides of a shape.
public func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[axis] = acc
        acc *= shape[axis]
    }
    return strides
}
