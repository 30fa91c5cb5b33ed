/// How the scale and zero-point of QuantizeLinear / DequantizeLinear map onto
/// the elements of the quantized tensor (ONNX opsets 10–21):
/// - per tensor: one scale (a scalar, or any tensor of one element, as the
///   ONNX reference implementation reads it);
/// - per axis: a 1-D scale with one entry per index of `axis`;
/// - blocked (`block_size` B > 0, opset 21): a scale of the tensor's rank whose
///   `axis` dimension is ceil(d / B) and whose other dimensions equal the
///   tensor's; element i along `axis` uses block i / B.
/// The zero-point, when given, has the scale's shape.
struct QuantizationLayout: Sendable, Equatable {
    enum Mode: Sendable, Equatable {
        case perTensor
        case perAxis
        case blocked(Int)
    }

    let mode: Mode
    /// Elements before, along and after the quantization axis.
    let outer: Int
    let axisLength: Int
    let inner: Int

    /// The layout of `scale` for a tensor of `shape`, checked against the node's
    /// `axis` and `block_size` attributes.
    init(node: Node, shape: [Int], scale: Tensor, zeroPoint: Tensor?) throws {
        let rank = shape.count
        let blockSize = node.int("block_size", default: 0)
        guard blockSize >= 0 else { throw node.kernelError("block_size \(blockSize) must not be negative") }
        if let zeroPoint, zeroPoint.shape != scale.shape, !(zeroPoint.count == 1 && scale.count == 1) {
            throw node.kernelError("zero point shape \(shapeText(zeroPoint.shape)) differs from the scale's "
                + "\(shapeText(scale.shape))")
        }
        if scale.count == 1 {
            mode = .perTensor
            outer = 1
            axisLength = 1
            inner = shape.reduce(1, *)
            return
        }
        let rawAxis = node.int("axis", default: 1)
        guard rank > 0, rawAxis >= -rank, rawAxis < rank else {
            throw node.kernelError("axis \(rawAxis) is out of range for an input of shape \(shapeText(shape))")
        }
        let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
        outer = shape[..<axis].reduce(1, *)
        axisLength = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
        if blockSize == 0 {
            guard scale.rank == 1, scale.count == shape[axis] else {
                throw node.kernelError("scale of shape \(shapeText(scale.shape)) fits neither per-tensor nor "
                    + "per-axis quantization of an input of shape \(shapeText(shape)) along axis \(axis) "
                    + "(a scalar or \(shape[axis]) values)")
            }
            mode = .perAxis
            return
        }
        var expected = shape
        expected[axis] = (shape[axis] + blockSize - 1) / blockSize
        guard scale.shape == expected else {
            throw node.kernelError("scale of shape \(shapeText(scale.shape)) does not fit blocked quantization of an "
                + "input of shape \(shapeText(shape)) with block_size \(blockSize) along axis \(axis) "
                + "(expected \(shapeText(expected)))")
        }
        mode = .blocked(blockSize)
    }

    /// Calls `body(element, parameter)` for every element of the tensor in order, with the index
    /// of its scale / zero-point.
    @inline(__always)
    func forEach(_ body: (_ element: Int, _ parameter: Int) -> Void) {
        switch mode {
        case .perTensor:
            for i in 0..<inner { body(i, 0) }
        case .perAxis:
            var element = 0
            for _ in 0..<outer {
                for a in 0..<axisLength {
                    for _ in 0..<inner {
                        body(element, a)
                        element += 1
                    }
                }
            }
        case .blocked(let blockSize):
            let blocks = (axisLength + blockSize - 1) / blockSize
            var element = 0
            for o in 0..<outer {
                for a in 0..<axisLength {
                    let base = (o * blocks + a / blockSize) * inner
                    for i in 0..<inner {
                        body(element, base + i)
                        element += 1
                    }
                }
            }
        }
    }
}

/// Integer rounding and saturation shared by the quantization kernels.
enum QuantizedArithmetic {
    /// The integer types a quantized tensor may have.
    static let quantizedTypes: Set<DType> = [.int4, .uint4, .int8, .uint8, .int16, .uint16]

    /// `value` rounded half to even, plus `zeroPoint`, saturated to `range` (NaN gives the zero point).
    @inline(__always)
    static func quantize(_ value: Float, zeroPoint: Int64, range: ClosedRange<Int64>) -> Int64 {
        guard !value.isNaN else { return min(max(zeroPoint, range.lowerBound), range.upperBound) }
        // Clamp before converting, so huge values (or infinities) cannot overflow Int64.
        let limit: Float = 1_099_511_627_776 // 2^40
        let rounded = Int64(min(max(value, -limit), limit).rounded(.toNearestOrEven))
        return min(max(rounded + zeroPoint, range.lowerBound), range.upperBound)
    }

    /// The range of a quantized integer dtype, or a `badInput` naming the node.
    static func range(of dtype: DType, node: Node, role: String) throws -> ClosedRange<Int64> {
        guard quantizedTypes.contains(dtype), let range = dtype.integerRange else {
            throw node.kernelError("\(role) has type \(dtype.rawValue); int8, uint8, int16, uint16, int4 or uint4 "
                + "is needed")
        }
        return range
    }

    /// A scalar (one-element) zero point of `dtype`, or 0 when omitted.
    static func scalarZeroPoint(_ tensor: Tensor?, matching dtype: DType, node: Node, role: String) throws -> Int64 {
        guard let tensor else { return 0 }
        guard tensor.count == 1, !tensor.isFloat else {
            throw node.kernelError("\(role) must be a single integer, got shape \(shapeText(tensor.shape)) of "
                + "\(tensor.dtype.rawValue)")
        }
        guard tensor.dtype == dtype else {
            throw node.kernelError("\(role) has type \(tensor.dtype.rawValue) but its tensor is \(dtype.rawValue)")
        }
        return tensor.ints[0]
    }

    /// A scalar (one-element) floating scale.
    static func scalarScale(_ tensor: Tensor, node: Node, role: String) throws -> Float {
        guard tensor.count == 1, tensor.isFloat else {
            throw node.kernelError("\(role) must be a single floating-point value, got shape "
                + "\(shapeText(tensor.shape)) of \(tensor.dtype.rawValue)")
        }
        return tensor.floats[0]
    }
}
