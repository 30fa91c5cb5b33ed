/// ONNX ConvInteger and QLinearConv (1-D to 3-D, groups, strides, dilations,
/// pads, auto_pad as Conv): zero-point-shifted 8-bit operands, int32
/// accumulation (wrapping), padding contributing zero (the input's zero
/// point), as onnxruntime computes them.
/// - ConvInteger returns the int32 sums; `x_zero_point` per tensor,
///   `w_zero_point` per tensor or per output channel.
/// - QLinearConv adds the int32 bias B and requantizes per output channel m:
///   `y = saturate(round_half_even(Float(sum) · (x_scale · w_scale[m] / y_scale)) + y_zero_point)`,
///   the multiplier in Float.
/// Runs on the float convolution where that is exact (`IntegerProductsInFloat`), else as im2col of the
/// shifted input and an integer GEMM per image and group.
enum IntegerConv {
    static func convInteger(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        try convInteger(node, inputs, memo: nil)
    }

    /// A kernel for one compiled step, remembering its weights' bound (`IntegerProductsInFloat.WeightBoundMemo`).
    static func remembering() -> Kernel {
        let memo = IntegerProductsInFloat.WeightBoundMemo()
        return { node, inputs in try convInteger(node, inputs, memo: memo) }
    }

    private static func convInteger(_ node: Node, _ inputs: [Tensor?],
                                    memo: IntegerProductsInFloat.WeightBoundMemo?) throws -> [Tensor] {
        let x = try node.input(0, of: inputs, "x")
        let wZeroPoint = node.optionalInput(inputs, 3)
        let weights = try node.input(1, of: inputs, "w")
        if wZeroPoint == nil,
           let sums = try IntegerProductsInFloat.conv(node, x: x, w: weights, xZeroPoint: node.optionalInput(inputs, 2),
                                                      memo: memo) {
            return [IntegerProductsInFloat.result(sums, node: node)]
        }
        // An integer weight layer's w arrives as float32 whole numbers (IntegerWeightOperand).
        let w = try IntegerWeightOperand.integers(weights, zeroPoint: wZeroPoint, node: node, role: "w")
        let conv = try Problem(node: node, x: IntegerProductsInFloat.integerInput(x, node: node), w: w,
                               xZeroPoint: node.optionalInput(inputs, 2), wZeroPoint: wZeroPoint)
        return [IntegerProductsInFloat.result(conv.sums(), shape: conv.outputShape, node: node)]
    }

    static func qLinearConv(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try node.input(0, of: inputs, "x")
        let xScale = try QuantizedArithmetic.scalarScale(try node.floatInput(inputs, 1, "x_scale"), node: node,
                                                         role: "x_scale")
        let w = try node.input(3, of: inputs, "w")
        let wScale = try node.floatInput(inputs, 4, "w_scale")
        let yScale = try QuantizedArithmetic.scalarScale(try node.floatInput(inputs, 6, "y_scale"), node: node,
                                                         role: "y_scale")
        let yZeroTensor = try node.input(7, of: inputs, "y_zero_point")
        let range = try QuantizedArithmetic.range(of: yZeroTensor.dtype, node: node, role: "y_zero_point")
        let yZero = try QuantizedArithmetic.scalarZeroPoint(yZeroTensor, matching: yZeroTensor.dtype, node: node,
                                                            role: "y_zero_point")
        let conv = try Problem(node: node, x: x, w: w, xZeroPoint: try node.input(2, of: inputs, "x_zero_point"),
                               wZeroPoint: try node.input(5, of: inputs, "w_zero_point"))
        let channels = conv.outChannels
        let wScales = try IntegerMatMul.perIndexScales(wScale, count: channels, node: node, role: "w_scale",
                                                       what: "output channel")
        var bias = [Int32](repeating: 0, count: channels)
        if let b = node.optionalInput(inputs, 8) {
            guard b.dtype == .int32, b.count == channels, b.rank == 1 else {
                throw node.kernelError("bias B must be int32 with \(channels) values, got \(shapeText(b.shape)) of "
                    + b.dtype.rawValue)
            }
            bias = b.ints.map { Int32(truncatingIfNeeded: $0) }
        }
        let sums = conv.sums()
        let spatial = conv.geometry.outputCount
        var y = [Int64](repeating: 0, count: sums.count)
        for image in 0..<conv.batch {
            for m in 0..<channels {
                let multiplier = xScale * wScales[m] / yScale
                let start = (image * channels + m) * spatial
                for s in start..<(start + spatial) {
                    y[s] = QuantizedArithmetic.quantize(Float(sums[s] &+ bias[m]) * multiplier, zeroPoint: yZero,
                                                        range: range)
                }
            }
        }
        return [Tensor(shape: conv.outputShape, ints: y, dtype: yZeroTensor.dtype)]
    }

    /// One integer convolution: shapes, geometry and the shifted operands.
    struct Problem {
        let batch, inChannels, outChannels, group: Int
        /// Canonical (three spatial axes) geometry.
        let geometry: SpatialGeometry
        let outputShape: [Int]
        /// x − x_zero_point, [N, C, spatial...] flattened.
        let x: [Int32]
        /// w − w_zero_point[m], [M, C/group, kernel...] flattened.
        let w: [Int32]

        init(node: Node, x: Tensor, w: Tensor, xZeroPoint: Tensor?, wZeroPoint: Tensor?) throws {
            let shiftedInput = IntegerProductsInFloat.hasShiftedInput(node)
            for (tensor, role) in [(x, "x"), (w, "w")] {
                guard IntegerWeightOperand.accepts(tensor.dtype, weight: role == "w" ? wZeroPoint == nil : shiftedInput)
                else {
                    throw node.kernelError("input \(role) has type \(tensor.dtype.rawValue); int8 or uint8 is needed")
                }
            }
            group = try node.convolutionGroup(x: x, w: w)
            batch = x.shape[0]
            inChannels = x.shape[1]
            outChannels = w.shape[0]
            guard inChannels % group == 0, outChannels % group == 0, w.shape[1] * group == inChannels else {
                throw node.kernelError("weights \(shapeText(w.shape)) with group \(group) do not fit input "
                    + "\(shapeText(x.shape))")
            }
            let kernel = Array(w.shape.dropFirst(2))
            if let declared = node.ints("kernel_shape"), !declared.isEmpty, declared != kernel {
                throw node.kernelError("kernel_shape \(shapeText(declared)) differs from the weights' \(shapeText(kernel))")
            }
            let window = try WindowAttributes(node: node, kernel: kernel)
            let spatial = try window.convGeometry(input: Array(x.shape.dropFirst(2)), node: node)
            geometry = spatial.canonical()
            outputShape = try node.checkedOutputShape([batch, outChannels] + spatial.outputShape)

            let xZero = try QuantizedArithmetic.scalarZeroPoint(xZeroPoint, matching: x.dtype, node: node,
                                                                role: "x_zero_point")
            self.x = x.ints.map { Int32(truncatingIfNeeded: $0 - xZero) }
            var wZeros = [Int64](repeating: 0, count: outChannels)
            if let wZeroPoint {
                guard wZeroPoint.dtype == w.dtype else {
                    throw node.kernelError("w_zero_point has type \(wZeroPoint.dtype.rawValue) but w is \(w.dtype.rawValue)")
                }
                if wZeroPoint.count == 1 {
                    wZeros = [Int64](repeating: wZeroPoint.ints[0], count: outChannels)
                } else if wZeroPoint.rank == 1, wZeroPoint.count == outChannels {
                    wZeros = wZeroPoint.ints
                } else {
                    throw node.kernelError("w_zero_point of shape \(shapeText(wZeroPoint.shape)) is neither one value "
                        + "nor one per output channel (\(outChannels))")
                }
            }
            let perChannel = outChannels == 0 ? 0 : w.count / outChannels
            var shiftedWeights = [Int32](repeating: 0, count: w.count)
            for m in 0..<outChannels {
                for r in 0..<perChannel {
                    shiftedWeights[m * perChannel + r] = Int32(truncatingIfNeeded: w.ints[m * perChannel + r] - wZeros[m])
                }
            }
            self.w = shiftedWeights
        }

        /// int32 sums [N, M, output spatial...] flattened.
        func sums() -> [Int32] {
            let g = geometry
            let cg = inChannels / group, mg = outChannels / group
            let kernelCount = g.kernelCount, outSpatial = g.outputCount, inSpatial = g.inputCount
            let reduction = cg * kernelCount
            var y = [Int32](repeating: 0, count: batch * outChannels * outSpatial)
            guard outSpatial > 0, reduction > 0 else { return y }
            var columns = [Int32](repeating: 0, count: reduction * outSpatial)
            for image in 0..<batch {
                for gi in 0..<group {
                    let inputBase = (image * inChannels + gi * cg) * inSpatial
                    im2col(inputBase: inputBase, channels: cg, into: &columns)
                    columns.withUnsafeBufferPointer { col in
                        w.withUnsafeBufferPointer { wp in
                            y.withUnsafeMutableBufferPointer { yp in
                                for mi in 0..<mg {
                                    let m = gi * mg + mi
                                    let out = (image * outChannels + m) * outSpatial
                                    let weightRow = m * reduction
                                    for r in 0..<reduction {
                                        let wv = wp[weightRow + r]
                                        if wv == 0 { continue }
                                        let colRow = r * outSpatial
                                        for s in 0..<outSpatial { yp[out + s] &+= wv &* col[colRow + s] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return y
        }

        /// Columns [channels · kernel, output spatial] of the shifted input; padding reads 0.
        private func im2col(inputBase: Int, channels: Int, into columns: inout [Int32]) {
            let g = geometry
            let (id, ih, iw) = (g.input[0], g.input[1], g.input[2])
            let (kd, kh, kw) = (g.kernel[0], g.kernel[1], g.kernel[2])
            let (od, oh, ow) = (g.output[0], g.output[1], g.output[2])
            let outSpatial = g.outputCount
            x.withUnsafeBufferPointer { xp in
                columns.withUnsafeMutableBufferPointer { cp in
                    var row = 0
                    for c in 0..<channels {
                        let plane = inputBase + c * id * ih * iw
                        for a in 0..<kd {
                            for b in 0..<kh {
                                for e in 0..<kw {
                                    var s = row * outSpatial
                                    for z in 0..<od {
                                        let zi = z * g.strides[0] - g.padBegin[0] + a * g.dilations[0]
                                        for yy in 0..<oh {
                                            let yi = yy * g.strides[1] - g.padBegin[1] + b * g.dilations[1]
                                            let rowInside = zi >= 0 && zi < id && yi >= 0 && yi < ih
                                            let rowBase = plane + (zi * ih + yi) * iw
                                            for xx in 0..<ow {
                                                let xi = xx * g.strides[2] - g.padBegin[2] + e * g.dilations[2]
                                                cp[s] = rowInside && xi >= 0 && xi < iw ? xp[rowBase + xi] : 0
                                                s += 1
                                            }
                                        }
                                    }
                                    row += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
