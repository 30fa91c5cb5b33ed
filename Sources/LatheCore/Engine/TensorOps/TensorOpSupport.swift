import Foundation

/// Shared plumbing for the tensor-op kernels: fetching inputs, reading
/// opset-dependent attributes, normalising axes, and naming the node in every
/// error so a user can find the offending op in their model.
extension Node {
    /// The model's default-domain opset, set by the executor on every node.
    var opset: Int? { int("lathe.opset") }

    /// A `badInput` error naming this node.
    func failure(_ problem: String) -> LatheError {
        .badInput("\(opType) node '\(displayName)': \(problem)")
    }

    /// Input `index`, which the op requires.
    func input(_ index: Int, of inputs: [Tensor?], _ role: String) throws -> Tensor {
        guard index < inputs.count, let tensor = inputs[index] else {
            throw failure("missing required input \(index) (\(role))")
        }
        return tensor
    }

    /// Whether the opset-dependent form of an attribute that became an input
    /// in `inputSince` is the input form. Without `lathe.opset`, the form is
    /// implied by whether the input is present.
    func usesInputForm(since inputSince: Int, inputIndex: Int, of inputs: [Tensor?]) -> Bool {
        if let opset { return opset >= inputSince }
        return inputIndex < inputs.count && inputs[inputIndex] != nil
    }

    /// Normalises `axis` (which may be negative) for a tensor of `rank`;
    /// `allowingEnd` accepts `rank` itself (Flatten, Unsqueeze-style ranges).
    func normalizedAxis(_ axis: Int, rank: Int, allowingEnd: Bool = false) throws -> Int {
        let upper = allowingEnd ? rank : rank - 1
        guard axis >= -rank, axis <= upper else {
            throw failure("axis \(axis) is out of range for rank \(rank)")
        }
        return axis < 0 ? axis + rank : axis
    }

    /// Normalised, duplicate-free axes.
    func normalizedAxes(_ axes: [Int], rank: Int) throws -> [Int] {
        var seen = Set<Int>()
        var result: [Int] = []
        for axis in axes {
            let a = try normalizedAxis(axis, rank: rank)
            guard seen.insert(a).inserted else { throw failure("axis \(axis) is repeated in \(axes)") }
            result.append(a)
        }
        return result
    }

    /// The integer values of a tensor used as a list of indices, shapes or
    /// axes (ONNX gives them as int64/int32 tensors).
    func integerList(_ tensor: Tensor, _ role: String) throws -> [Int] {
        guard !tensor.isFloat else {
            throw failure("\(role) must be an integer tensor, got \(tensor.dtype.rawValue)")
        }
        return tensor.ints.map { Int($0) }
    }

    /// `tensor`, checked to hold exactly one element (a scalar operand).
    func singleElement(_ tensor: Tensor, _ role: String) throws -> Tensor {
        guard tensor.count == 1 else {
            throw failure("\(role) must hold a single value, got shape \(tensor.shape)")
        }
        return tensor
    }
}

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

/// Rounding of Float values to float16 / bfloat16 precision.
enum HalfPrecision {
    static func rounded(_ values: [Float], to dtype: DType) -> [Float] {
        switch dtype {
        case .float16: return values.map(toFloat16)
        case .bfloat16: return values.map(toBFloat16)
        default: return values
        }
    }

    /// Round to nearest even at float16 precision (overflow → ±inf,
    /// subnormals kept). Computed in Float arithmetic because Swift's
    /// `Float16` is unavailable on some platforms (macOS on Intel).
    static func toFloat16(_ value: Float) -> Float {
        guard value.isFinite, value != 0 else { return value }
        // The spacing of float16 values around `value`: 2^(e−10), never
        // finer than the subnormal step 2^−24. Scaling by it is exact.
        let quantum = Float(sign: .plus, exponent: Swift.max(-24, Int(value.exponent) - 10), significand: 1)
        let rounded = (value / quantum).rounded(.toNearestOrEven) * quantum
        return Swift.abs(rounded) > 65504 ? (value < 0 ? -.infinity : .infinity) : rounded
    }

    /// Round to nearest even at bfloat16 precision (the top 16 bits of a Float).
    static func toBFloat16(_ value: Float) -> Float {
        if value.isNaN { return value }
        let bits = value.bitPattern
        let lsb = (bits >> 16) & 1
        let rounded = bits &+ 0x7FFF &+ lsb
        return Float(bitPattern: rounded & 0xFFFF_0000)
    }
}

extension Node {
    /// Largest element count a data-dependent shape may ask for; beyond it
    /// the request is a malformed model rather than something to allocate.
    static let maximumElements = 1 << 32

    /// The element count of a shape read from data (Reshape, Expand,
    /// ConstantOfShape, Range), rejecting negative dims and overflow.
    func checkedCount(_ shape: [Int], _ role: String) throws -> Int {
        var count = 1
        for d in shape {
            guard d >= 0 else { throw failure("\(role) \(shape) has a negative dim") }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= Node.maximumElements else {
                throw failure("\(role) \(shape) has too many elements")
            }
            count = product
        }
        return count
    }
}
