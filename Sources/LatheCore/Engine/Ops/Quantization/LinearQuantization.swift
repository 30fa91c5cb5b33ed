/// ONNX QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear, as
/// onnxruntime and the ONNX reference compute them:
/// - quantize: `q = saturate(round_half_even(x / scale) + zero_point)`, the
///   division in Float; the output type is the zero point's, else the
///   `output_dtype` attribute (opset 21), else uint8;
/// - dequantize: `y = Float(q − zero_point) · scale`, in the scale's type
///   or the `output_dtype` attribute's (opset 23);
/// - dynamic: uint8 with the range [min(x, 0), max(x, 0)] over the whole
///   tensor, `scale = (max − min) / 255` (1 when the range is empty),
///   `zero_point = round_half_even(clamp(−min / scale, 0, 255))`.
/// Scales and zero points are per tensor, per axis or blocked
/// (`QuantizationLayout`). Float8 and float4 types are refused.
///
/// A QuantizeLinear with `dequantizeKey` (`QuantizeDequantizeFusion` gives it the
/// output of the DequantizeLinear that alone read it, with the same scale and zero
/// point) returns that DequantizeLinear's Float32 result directly.
enum LinearQuantization {
    static let dequantizeKey = "lathe.dequantize"
    /// On a DynamicQuantizeLinear whose integers only integer kernels read, shifted (`DynamicQuantizationFusion`):
    /// output 0 is `q − zero point` as Float32.
    static let stepsKey = "lathe.steps"

    static func quantizeLinear(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "x")
        let scale = try node.floatInput(inputs, 1, "y_scale")
        let zeroPoint = node.optionalInput(inputs, 2)
        let dtype = try outputType(node, zeroPoint: zeroPoint)
        let range = try QuantizedArithmetic.range(of: dtype, node: node, role: "the output")
        let layout = try QuantizationLayout(node: node, shape: x.shape, scale: scale, zeroPoint: zeroPoint)
        let scales = scale.floats
        let zeroPoints = zeroPoint?.ints ?? [Int64](repeating: 0, count: scales.count)
        let grids = zip(scales, zeroPoints).map { FakeQuantization(scale: $0, zeroPoint: $1, range: range) }
        if node.int(dequantizeKey) == 1 {
            return [Tensor(shape: x.shape, floats: quantizeDequantize(x.floats, grids: grids, layout: layout),
                           dtype: .float32)]
        }
        var q = [Int64](repeating: 0, count: x.count)
        x.floats.withUnsafeBufferPointer { xs in
            q.withUnsafeMutableBufferPointer { qs in
                guard let source = xs.baseAddress, let target = qs.baseAddress else { return }
                switch layout.mode {
                case .perTensor:
                    grids[0].quantize(source, into: target, count: xs.count, zeroPoint: zeroPoints[0])
                case .perAxis:
                    var start = 0
                    for _ in 0..<layout.outer {
                        for (grid, zeroPoint) in zip(grids, zeroPoints) {
                            grid.quantize(source + start, into: target + start, count: layout.inner,
                                          zeroPoint: zeroPoint)
                            start += layout.inner
                        }
                    }
                case .blocked:
                    layout.forEach { i, p in
                        qs[i] = QuantizedArithmetic.quantize(xs[i] / scales[p], zeroPoint: zeroPoints[p], range: range)
                    }
                }
            }
        }
        return [Tensor(shape: x.shape, ints: q, dtype: dtype)]
    }

    /// `values` quantized and dequantized with `grids[p]` for the elements `layout` gives parameter p.
    static func quantizeDequantize(_ values: [Float], grids: [FakeQuantization], layout: QuantizationLayout) -> [Float] {
        let count = values.count
        guard count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            values.withUnsafeBufferPointer { xs in
                guard let source = xs.baseAddress, let target = out.baseAddress else { return }
                switch layout.mode {
                case .perTensor:
                    grids[0].apply(source, target, count: count)
                case .perAxis:
                    var start = 0
                    for _ in 0..<layout.outer {
                        for grid in grids {
                            grid.apply(source + start, target + start, count: layout.inner)
                            start += layout.inner
                        }
                    }
                case .blocked:
                    layout.forEach { i, p in target[i] = grids[p].apply(source[i]) }
                }
            }
            initialized = count
        }
    }

    static func dequantizeLinear(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try node.input(0, of: inputs, "x")
        let scale = try node.floatInput(inputs, 1, "x_scale")
        let zeroPoint = node.optionalInput(inputs, 2)
        guard !x.isFloat, x.dtype != .bool, x.dtype != .int64, x.dtype != .uint32, x.dtype != .uint64 else {
            throw node.kernelError("input x has type \(x.dtype.rawValue); DequantizeLinear needs int8, uint8, int16, "
                + "uint16, int4, uint4 or int32 (float8 types are not supported)")
        }
        if let zeroPoint, zeroPoint.dtype != x.dtype {
            throw node.kernelError("zero point has type \(zeroPoint.dtype.rawValue) but x is \(x.dtype.rawValue)")
        }
        if x.dtype == .int32, let zeroPoint, zeroPoint.ints.contains(where: { $0 != 0 }) {
            throw node.kernelError("an int32 input needs a zero point of 0")
        }
        let layout = try QuantizationLayout(node: node, shape: x.shape, scale: scale, zeroPoint: zeroPoint)
        let scales = scale.floats
        let zeroPoints = zeroPoint?.ints ?? [Int64](repeating: 0, count: scales.count)
        var y = [Float](repeating: 0, count: x.count)
        x.ints.withUnsafeBufferPointer { xs in
            layout.forEach { i, p in
                y[i] = Float(xs[i] - zeroPoints[p]) * scales[p]
            }
        }
        let dtype = try dequantizedType(node, scale: scale)
        return [Tensor(shape: x.shape, floats: HalfPrecision.rounded(y, to: dtype), dtype: dtype)]
    }

    /// DequantizeLinear's output type: the `output_dtype` attribute (opset 23), else the scale's.
    static func dequantizedType(_ node: Node, scale: Tensor) throws -> DType {
        let requested = node.int("output_dtype", default: 0)
        guard requested != 0 else { return scale.dtype }
        guard let dtype = DType(onnxCode: requested), [.float32, .float16, .bfloat16].contains(dtype) else {
            throw node.kernelError("output_dtype \(ONNXDataTypeNames.name(Int32(clamping: requested))) is not "
                + "supported; float, float16 or bfloat16 is needed")
        }
        return dtype
    }

    static func dynamicQuantizeLinear(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "x")
        let (scale, zeroPoint) = dynamicParameters(x.floats)
        let grid = FakeQuantization(scale: scale, zeroPoint: zeroPoint, range: 0...255)
        let parameters = [Tensor(shape: [], floats: [scale], dtype: x.dtype), Tensor(shape: [], ints: [zeroPoint], dtype: .uint8)]
        if node.int(stepsKey) == 1 {
            let steps = x.floats.withUnsafeBufferPointer { xs in
                [Float](unsafeUninitializedCapacity: xs.count) { out, initialized in
                    if let source = xs.baseAddress, let target = out.baseAddress {
                        grid.steps(source, target, count: xs.count)
                    }
                    initialized = xs.count
                }
            }
            return [Tensor(shape: x.shape, floats: steps, dtype: .float32)] + parameters
        }
        var q = [Int64](repeating: 0, count: x.count)
        x.floats.withUnsafeBufferPointer { xs in
            q.withUnsafeMutableBufferPointer { qs in
                guard let source = xs.baseAddress, let target = qs.baseAddress else { return }
                grid.quantize(source, into: target, count: xs.count, zeroPoint: zeroPoint)
            }
        }
        return [Tensor(shape: x.shape, ints: q, dtype: .uint8)] + parameters
    }

    /// uint8 scale and zero point of DynamicQuantizeLinear for `values`.
    static func dynamicParameters(_ values: [Float]) -> (scale: Float, zeroPoint: Int64) {
        // NaNs are passed over (they compare false), as Swift's min and max pass over them.
        typealias Lanes = SIMD16<Float>
        var lows = Lanes(repeating: 0), highs = Lanes(repeating: 0)
        var low: Float = 0, high: Float = 0
        values.withUnsafeBufferPointer { xs in
            guard let start = xs.baseAddress else { return }
            var i = 0
            while i + Lanes.scalarCount <= xs.count {
                let v = UnsafeRawPointer(start + i).loadUnaligned(as: Lanes.self)
                lows.replace(with: v, where: v .< lows)
                highs.replace(with: v, where: v .> highs)
                i += Lanes.scalarCount
            }
            for j in 0..<Lanes.scalarCount {
                low = min(low, lows[j])
                high = max(high, highs[j])
            }
            while i < xs.count {
                low = min(low, xs[i])
                high = max(high, xs[i])
                i += 1
            }
        }
        let scale: Float = high == low ? 1 : (high - low) / 255
        let initial = 0 - low / scale
        let zeroPoint = Int64(min(max(initial, 0), 255).rounded(.toNearestOrEven))
        return (scale, zeroPoint)
    }

    /// QuantizeLinear's output type: the zero point's, else `output_dtype`, else uint8.
    static func outputType(_ node: Node, zeroPoint: Tensor?) throws -> DType {
        let requested = node.int("output_dtype", default: 0)
        var fromAttribute: DType?
        if requested != 0 {
            guard let dtype = DType(onnxCode: requested), QuantizedArithmetic.quantizedTypes.contains(dtype) else {
                throw node.kernelError("output_dtype \(ONNXDataTypeNames.name(Int32(clamping: requested))) is not "
                    + "supported; int8, uint8, int16, uint16, int4 or uint4 is needed (float8 and float4 are not "
                    + "supported)")
            }
            fromAttribute = dtype
        }
        if let zeroPoint {
            if let fromAttribute, fromAttribute != zeroPoint.dtype {
                throw node.kernelError("output_dtype \(fromAttribute.rawValue) differs from the zero point's type "
                    + zeroPoint.dtype.rawValue)
            }
            return zeroPoint.dtype
        }
        return fromAttribute ?? .uint8
    }
}
