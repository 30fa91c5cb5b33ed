/// The one vocabulary every kernel uses to read its node: inputs by position
/// and role, attributes, axes, and errors that name the node
/// (`LatheError.badInput`) so a user can find the offending op in their model.

extension Node {
    /// A user-facing error about this node's inputs or attributes.
    func kernelError(_ problem: String) -> LatheError {
        .badInput("\(opType) node '\(displayName)': \(problem)")
    }

    /// Input `index`, which the op cannot do without.
    func input(_ index: Int, of inputs: [Tensor?], _ role: String) throws -> Tensor {
        guard index < inputs.count, let tensor = inputs[index] else {
            throw kernelError("missing required input \(index) (\(role))")
        }
        return tensor
    }

    /// An input that must hold floating-point data (the compute kernels work in Float).
    func floatInput(_ inputs: [Tensor?], _ index: Int, _ role: String) throws -> Tensor {
        let tensor = try input(index, of: inputs, role)
        guard tensor.isFloat else {
            throw kernelError("input \(index) (\(role)) has type \(tensor.dtype.rawValue); a floating-point type is needed")
        }
        return tensor
    }

    /// An optional input; nil when omitted or empty-named.
    func optionalInput(_ inputs: [Tensor?], _ index: Int) -> Tensor? {
        index < inputs.count ? inputs[index] : nil
    }

    /// An ints attribute that, when present, must have exactly `count` entries.
    func intsAttribute(_ key: String, count: Int, default value: Int) throws -> [Int] {
        guard let values = ints(key), !values.isEmpty else { return [Int](repeating: value, count: count) }
        guard values.count == count else {
            throw kernelError("attribute \(key) has \(values.count) values; \(count) expected")
        }
        return values
    }
    /// Normalises `axis` (which may be negative) for a tensor of `rank`;
    /// `allowingEnd` accepts `rank` itself (Flatten, Unsqueeze-style ranges).
    func normalizedAxis(_ axis: Int, rank: Int, allowingEnd: Bool = false) throws -> Int {
        let upper = allowingEnd ? rank : rank - 1
        guard axis >= -rank, axis <= upper else {
            throw kernelError("axis \(axis) is out of range for rank \(rank)")
        }
        return axis < 0 ? axis + rank : axis
    }

    /// Normalised, duplicate-free axes.
    func normalizedAxes(_ axes: [Int], rank: Int) throws -> [Int] {
        var seen = Set<Int>()
        var result: [Int] = []
        for axis in axes {
            let a = try normalizedAxis(axis, rank: rank)
            guard seen.insert(a).inserted else { throw kernelError("axis \(axis) is repeated in \(axes)") }
            result.append(a)
        }
        return result
    }

    /// The integer values of a tensor used as a list of indices, shapes or
    /// axes (ONNX gives them as int64/int32 tensors).
    func integerList(_ tensor: Tensor, _ role: String) throws -> [Int] {
        guard !tensor.isFloat else {
            throw kernelError("\(role) must be an integer tensor, got \(tensor.dtype.rawValue)")
        }
        return tensor.ints.map { Int($0) }
    }

    /// `tensor`, checked to hold exactly one element (a scalar operand).
    func singleElement(_ tensor: Tensor, _ role: String) throws -> Tensor {
        guard tensor.count == 1 else {
            throw kernelError("\(role) must hold a single value, got shape \(tensor.shape)")
        }
        return tensor
    }
}

/// Largest output Lathe allocates for one kernel call; attribute values or
/// data-dependent shapes that ask for more (a typo in pads or sizes, a
/// malformed model) are refused rather than crashing.
let maximumOutputElements = 1 << 32

extension Node {
    /// `shape` as an output shape, refused when absurdly large.
    func checkedOutputShape(_ shape: [Int]) throws -> [Int] {
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: max(dim, 0))
            guard !overflow, product <= maximumOutputElements else {
                throw kernelError("output shape \(shapeText(shape)) is too large")
            }
            count = product
        }
        return shape
    }

    /// The element count of a shape read from data (Reshape, Expand,
    /// ConstantOfShape, Range), rejecting negative dims and overflow.
    func checkedCount(_ shape: [Int], _ role: String) throws -> Int {
        var count = 1
        for d in shape {
            guard d >= 0 else { throw kernelError("\(role) \(shape) has a negative dim") }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maximumOutputElements else {
                throw kernelError("\(role) \(shape) has too many elements")
            }
            count = product
        }
        return count
    }

    /// The checks Conv and ConvTranspose share: X is (N, C, spatial...), W has
    /// X's rank, and `group` is positive. Returns `group`.
    func convolutionGroup(x: Tensor, w: Tensor) throws -> Int {
        guard x.rank >= 3 else {
            throw kernelError("input X has shape \(shapeText(x.shape)); rank 3 or more (N, C, spatial...) is needed")
        }
        guard w.rank == x.rank else {
            throw kernelError("weights W have shape \(shapeText(w.shape)) (rank \(w.rank)) but X has rank \(x.rank)")
        }
        let group = int("group", default: 1)
        guard group >= 1 else { throw kernelError("group \(group) must be positive") }
        return group
    }
}

/// Floor division for possibly negative numerators (positive divisor).
@inline(__always)
func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// Ceiling division for possibly negative numerators (positive divisor).
@inline(__always)
func ceilDiv(_ a: Int, _ b: Int) -> Int { -floorDiv(-a, b) }

/// A float array of `count` elements whose every element the caller writes.
@inline(__always)
func uninitializedFloats(_ count: Int, _ fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows -> [Float] {
    try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        try fill(buffer)
        initialized = count
    }
}

/// Shape formatted for messages: [1, 3, 224, 224].
func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
