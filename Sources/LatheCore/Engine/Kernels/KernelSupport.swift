/// Small helpers every compute kernel uses: reading inputs and attributes and
/// reporting problems as `LatheError.badInput` naming the node.

extension Node {
    /// The model's default-domain opset, which the executor stamps on every
    /// node as `lathe.opset`; nodes built by hand (tests) get the newest
    /// semantics Lathe knows.
    var opsetVersion: Int { int("lathe.opset") ?? 21 }

    /// A user-facing error about this node's inputs or attributes.
    func kernelError(_ problem: String) -> LatheError {
        .badInput("\(opType) node '\(displayName)': \(problem)")
    }

    /// An input the op cannot do without.
    func requiredInput(_ inputs: [Tensor?], _ index: Int, _ role: String) throws -> Tensor {
        guard index < inputs.count, let tensor = inputs[index] else {
            throw kernelError("missing required input \(index) (\(role))")
        }
        return tensor
    }

    /// An input that must hold floating-point data (the compute kernels work in Float).
    func floatInput(_ inputs: [Tensor?], _ index: Int, _ role: String) throws -> Tensor {
        let tensor = try requiredInput(inputs, index, role)
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
}

/// Largest output Lathe allocates for one kernel call; attribute values that
/// ask for more (a typo in pads or sizes) are refused rather than crashing.
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

extension Node {
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
