/// How kernels build their results: floating results rounded to a half
/// precision dtype's precision and integer results wrapped to the dtype's
/// width, as a runtime computing in that type would return them.
extension Tensor {
    /// A floating tensor of `dtype` from values computed in Float; half
    /// precision dtypes are rounded to their precision, as a runtime computing
    /// in that type would return them.
    static func floating(shape: [Int], _ values: [Float], dtype: DType) -> Tensor {
        let outType: DType = dtype.isFloatingPoint ? dtype : .float32
        return Tensor(shape: shape, floats: HalfPrecision.rounded(values, to: outType), dtype: outType)
    }

    /// An integer tensor of `dtype` whose values are wrapped to the dtype's
    /// width (integer arithmetic in the narrower types wraps as in C).
    static func integer(shape: [Int], _ values: [Int64], dtype: DType) -> Tensor {
        Tensor(shape: shape, ints: IntegerWidth.wrapped(values, to: dtype), dtype: dtype)
    }

    static func boolean(shape: [Int], _ values: [Int64]) -> Tensor {
        Tensor(shape: shape, ints: values, dtype: .bool)
    }

    /// The same elements under another shape (the element count must match).
    func reshaped(_ newShape: [Int]) -> Tensor {
        var copy = self
        copy.shape = newShape
        return copy
    }
}

/// Wrapping of Int64-held values to narrower integer dtypes.
enum IntegerWidth {
    static func wrap(_ value: Int64, to dtype: DType) -> Int64 {
        switch dtype {
        case .int4: return (value & 0xF) >= 8 ? (value & 0xF) - 16 : value & 0xF
        case .uint4: return value & 0xF
        case .int8: return Int64(Int8(truncatingIfNeeded: value))
        case .uint8: return Int64(UInt8(truncatingIfNeeded: value))
        case .int16: return Int64(Int16(truncatingIfNeeded: value))
        case .uint16: return Int64(UInt16(truncatingIfNeeded: value))
        case .int32: return Int64(Int32(truncatingIfNeeded: value))
        case .uint32: return Int64(UInt32(truncatingIfNeeded: value))
        case .bool: return value != 0 ? 1 : 0
        default: return value
        }
    }

    static func wrapped(_ values: [Int64], to dtype: DType) -> [Int64] {
        switch dtype {
        case .int64, .uint64: return values
        default: return values.map { wrap($0, to: dtype) }
        }
    }
}
