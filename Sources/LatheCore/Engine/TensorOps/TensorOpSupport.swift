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
