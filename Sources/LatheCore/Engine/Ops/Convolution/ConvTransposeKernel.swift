/// ONNX ConvTranspose (1-D, 2-D, 3-D; groups, strides, dilations, pads,
/// output_padding, output_shape, auto_pad, optional bias) with the fused
/// activation. Per image and group: one GEMM `Wᵀ · X` gives every (output
/// channel, kernel tap) contribution of every input position, and col2im
/// scatter-adds them into the output — or, when the kernel tiles the output
/// (stride = kernel, no padding or dilation, as in 2×2 stride-2 upsamplers),
/// `placeTiles` writes each value once. Images split across workers.
enum ConvTransposeKernel {
    static func run(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "X")
        let w = try node.floatInput(inputs, 1, "W")
        let b = node.optionalInput(inputs, 2)
        let p = try ConvTransposeProblem(node: node, x: x, w: w, bias: b)
        let activation = try FusedActivation(node: node)
        let g = p.scatter.canonical()
        let outShape = [p.batch, p.outChannels] + Array(p.scatter.input.suffix(p.scatter.rank))
        let outCount = outShape.reduce(1, *)
        let cg = p.inChannels / p.group
        let mg = p.outChannels / p.group
        let rows = mg * g.kernelCount
        let positions = g.outputCount

        let result = x.floats.withUnsafeBufferPointer { xBuf in
            w.floats.withUnsafeBufferPointer { wBuf in
                (b?.floats ?? []).withUnsafeBufferPointer { bBuf in
                    uninitializedFloats(outCount) { yBuf in
                        guard let yp = yBuf.baseAddress else { return }
                        guard let xp = xBuf.baseAddress, let wp = wBuf.baseAddress, rows > 0, positions > 0 else {
                            yp.initialize(repeating: 0, count: outCount)
                            return
                        }
                        let bias = bBuf.count == p.outChannels ? bBuf.baseAddress : nil
                        let tiles = g.tilesWithoutOverlap
                        // Images are independent: a share of them gives the bits the whole batch would.
                        let work = p.batch * p.group * rows * positions * cg
                        OpParallelism.forEachPart(of: p.batch, work: work) { images in
                            let col = UnsafeMutablePointer<Float>.allocate(capacity: rows * positions)
                            defer { col.deallocate() }
                            for n in images {
                                let y = yp + n * p.outChannels * g.inputCount
                                if !tiles { y.initialize(repeating: 0, count: p.outChannels * g.inputCount) }
                                for group in 0..<p.group {
                                    let xg = xp + (n * p.inChannels + group * cg) * positions
                                    let wg = wp + group * cg * rows
                                    ParallelGemm.sgemm(transA: true, m: rows, n: positions, k: cg, a: wg, lda: rows,
                                                       b: xg, ldb: positions, c: col, ldc: positions)
                                    let yg = y + group * mg * g.inputCount
                                    if tiles {
                                        Self.placeTiles(col, channels: mg, geometry: g, into: yg,
                                                        bias: bias.map { $0 + group * mg }, activation: activation)
                                    } else {
                                        Im2Col.col2im(col, channels: mg, geometry: g, into: yg)
                                    }
                                }
                                if !tiles {
                                    ConvKernel.applyEpilogue(y, channels: p.outChannels, spatial: g.inputCount,
                                                             bias: bias, activation: activation)
                                }
                            }
                        }
                    }
                }
            }
        }
        return [Tensor(shape: outShape, floats: result, dtype: x.dtype)]
    }

    /// The output when the kernel tiles it (`SpatialGeometry.tilesWithoutOverlap`): every
    /// output value is one product term, so it is written once (no zeroing, no scatter-add),
    /// row by row with bias and activation while the row is in cache. `+ 0` keeps the bits
    /// of the general path, which adds the term to a zeroed output (turning −0 into +0).
    static func placeTiles(_ columns: UnsafePointer<Float>, channels: Int, geometry g: SpatialGeometry,
                           into image: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?,
                           activation: FusedActivation) {
        let (k0, k1, k2) = (g.kernel[0], g.kernel[1], g.kernel[2])
        let (inD, inH, inW) = (g.output[0], g.output[1], g.output[2])
        let positions = g.outputCount
        let taps = g.kernelCount
        let rowLength = g.input[2]
        for c in 0..<channels {
            let channelRows = columns + c * taps * positions
            var dst = image + c * g.inputCount
            for d in 0..<inD {
                for kd in 0..<k0 {
                    for h in 0..<inH {
                        for kh in 0..<k1 {
                            let tapRow = channelRows + ((kd * k1 + kh) * k2) * positions + (d * inH + h) * inW
                            if k2 == 2 {
                                // The usual 2×2 upsampler: two tap rows interleaved, 4 pairs per step.
                                let even = tapRow, odd = tapRow + positions
                                var i = 0
                                while i + 4 <= inW {
                                    let a = UnsafeRawPointer(even + i).loadUnaligned(as: SIMD4<Float>.self) + 0
                                    let b = UnsafeRawPointer(odd + i).loadUnaligned(as: SIMD4<Float>.self) + 0
                                    let out = UnsafeMutableRawPointer(dst + 2 * i)
                                    out.storeBytes(of: SIMD4(a[0], b[0], a[1], b[1]), as: SIMD4<Float>.self)
                                    out.storeBytes(of: SIMD4(a[2], b[2], a[3], b[3]), toByteOffset: 16, as: SIMD4<Float>.self)
                                    i += 4
                                }
                                while i < inW {
                                    dst[2 * i] = even[i] + 0
                                    dst[2 * i + 1] = odd[i] + 0
                                    i += 1
                                }
                            } else {
                                for kw in 0..<k2 {
                                    let src = tapRow + kw * positions
                                    for i in 0..<inW { dst[i * k2 + kw] = src[i] + 0 }
                                }
                            }
                            activation.addBiasAndApply(to: dst, count: rowLength, bias: bias?[c] ?? 0)
                            dst += rowLength
                        }
                    }
                }
            }
        }
    }
}

/// A validated ConvTranspose call. `scatter` is the geometry of the adjoint
/// convolution: its `input` is this op's output image and its `output` the
/// op's input image, so col2im can reuse the convolution's index ranges.
struct ConvTransposeProblem {
    let batch: Int
    let inChannels: Int
    let outChannels: Int
    let group: Int
    let scatter: SpatialGeometry

    init(node: Node, x: Tensor, w: Tensor, bias: Tensor?) throws {
        let group = try node.convolutionGroup(x: x, w: w)
        batch = x.shape[0]
        inChannels = x.shape[1]
        self.group = group
        guard w.shape[0] == inChannels else {
            throw node.kernelError("W has \(w.shape[0]) input channels (shape \(shapeText(w.shape))) but X has \(inChannels)")
        }
        guard inChannels % group == 0 else {
            throw node.kernelError("group \(group) does not divide the \(inChannels) input channels")
        }
        outChannels = w.shape[1] * group
        let kernel = Array(w.shape[2...])
        let rank = kernel.count
        if let declared = node.ints("kernel_shape"), !declared.isEmpty, declared != kernel {
            throw node.kernelError("kernel_shape \(shapeText(declared)) disagrees with W's shape \(shapeText(w.shape))")
        }
        if let bias {
            guard bias.isFloat, bias.count == outChannels else {
                throw node.kernelError("bias B has shape \(shapeText(bias.shape)); \(outChannels) values expected")
            }
        }
        let window = try WindowAttributes(node: node, kernel: kernel)
        let outputPadding = try node.intsAttribute("output_padding", count: rank, default: 0)
        var requested: [Int]? = nil
        if let shape = node.ints("output_shape"), !shape.isEmpty {
            guard shape.count == rank || shape.count == rank + 2 else {
                throw node.kernelError("output_shape \(shapeText(shape)) should list \(rank) spatial sizes")
            }
            requested = Array(shape.suffix(rank))
        }
        let input = Array(x.shape[2...])
        var padBegin = Array(window.pads[0..<rank])
        var padEnd = Array(window.pads[rank...])
        var output = [Int](repeating: 0, count: rank)
        for axis in 0..<rank {
            let extent = (kernel[axis] - 1) * window.dilations[axis] + 1
            let full = window.strides[axis] * (input[axis] - 1) + outputPadding[axis] + extent
            var target: Int? = requested?[axis]
            if target == nil && (window.autoPad == .sameUpper || window.autoPad == .sameLower) {
                target = input[axis] * window.strides[axis]
            }
            if let target {
                // Padding that trims the full result to the target size; the
                // odd pixel goes to the end for SAME_UPPER, to the start otherwise.
                let total = max(0, full - target)
                let head = window.autoPad == .sameUpper ? total / 2 : total - total / 2
                padBegin[axis] = head
                padEnd[axis] = total - head
                output[axis] = target
            } else if window.autoPad == .valid {
                padBegin[axis] = 0
                padEnd[axis] = 0
                output[axis] = full
            } else {
                output[axis] = full - padBegin[axis] - padEnd[axis]
            }
        }
        guard output.allSatisfy({ $0 >= 1 }) else {
            throw node.kernelError("output size \(shapeText(output)) is not positive (input \(shapeText(input)), "
                                   + "kernel \(shapeText(kernel)), pads \(shapeText(padBegin + padEnd)))")
        }
        _ = try node.checkedOutputShape([batch, outChannels] + output)
        scatter = SpatialGeometry(input: output, kernel: kernel, strides: window.strides, dilations: window.dilations,
                                  padBegin: padBegin, padEnd: padEnd, output: input, rank: rank)
    }
}
