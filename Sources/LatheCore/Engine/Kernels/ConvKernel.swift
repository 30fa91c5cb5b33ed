import CBLAS

/// ONNX Conv (1-D, 2-D, 3-D; groups, dilations, strides, pads, auto_pad,
/// optional bias) with the fused activation of `FusedActivation`.
///
/// Three paths, chosen by shape:
/// - depthwise (group == channels > 1, 1-D/2-D): `DepthwiseConv`, direct;
/// - pointwise (1×1, stride 1, no padding): a plain GEMM per image and group;
/// - otherwise: im2col per image and group, then GEMM (OpenBLAS).
/// Bias and activation are applied in one pass over each output channel.
enum ConvKernel {
    static func run(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "X")
        let w = try node.floatInput(inputs, 1, "W")
        let b = node.optionalInput(inputs, 2)
        let problem = try ConvProblem(node: node, x: x, w: w, bias: b)
        let activation = try FusedActivation(node: node)
        let g = problem.geometry.canonical()
        let outShape = [problem.batch, problem.outChannels] + problem.geometry.outputShape
        let outCount = outShape.reduce(1, *)

        let result = x.floats.withUnsafeBufferPointer { xBuf in
            w.floats.withUnsafeBufferPointer { wBuf in
                (b?.floats ?? []).withUnsafeBufferPointer { bBuf in
                    uninitializedFloats(outCount) { yBuf in
                        guard outCount > 0, let xp = xBuf.baseAddress, let wp = wBuf.baseAddress,
                              let yp = yBuf.baseAddress else { return }
                        let bias = bBuf.count == problem.outChannels ? bBuf.baseAddress : nil
                        compute(problem, g, x: xp, w: wp, bias: bias, activation: activation, y: yp)
                    }
                }
            }
        }
        return [Tensor(shape: outShape, floats: result, dtype: x.dtype)]
    }

    static func compute(_ p: ConvProblem, _ g: SpatialGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, activation: FusedActivation, y: UnsafeMutablePointer<Float>) {
        if p.isDepthwise && g.input[0] == 1 && g.kernel[0] == 1 {
            DepthwiseConv.run(input: x, batch: p.batch, channels: p.inChannels, multiplier: p.outChannels / p.inChannels,
                              weights: w, bias: bias, geometry: g, activation: activation, output: y)
            return
        }
        let cg = p.inChannels / p.group
        let mg = p.outChannels / p.group
        let reduction = cg * g.kernelCount
        let spatialOut = g.outputCount
        let pointwise = g.kernelCount == 1 && g.strides.allSatisfy { $0 == 1 }
            && g.padBegin.allSatisfy { $0 == 0 } && g.padEnd.allSatisfy { $0 == 0 }
        var columns = pointwise ? [] : [Float](repeating: 0, count: reduction * spatialOut)
        columns.withUnsafeMutableBufferPointer { colBuf in
            for n in 0..<p.batch {
                for group in 0..<p.group {
                    let xg = x + (n * p.inChannels + group * cg) * g.inputCount
                    let wg = w + group * mg * reduction
                    let yg = y + (n * p.outChannels + group * mg) * spatialOut
                    let operand: UnsafePointer<Float>
                    if pointwise {
                        operand = xg
                    } else if let col = colBuf.baseAddress {
                        Im2Col.im2col(xg, channels: cg, geometry: g, into: col)
                        operand = UnsafePointer(col)
                    } else {
                        return
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                                Int32(mg), Int32(spatialOut), Int32(reduction),
                                1, wg, Int32(reduction), operand, Int32(spatialOut),
                                0, yg, Int32(spatialOut))
                }
                applyEpilogue(y + n * p.outChannels * spatialOut, channels: p.outChannels, spatial: spatialOut,
                              bias: bias, activation: activation)
            }
        }
    }

    /// Bias plus activation over `channels` planes of `spatial` values.
    @inline(__always)
    static func applyEpilogue(_ y: UnsafeMutablePointer<Float>, channels: Int, spatial: Int,
                              bias: UnsafePointer<Float>?, activation: FusedActivation) {
        guard bias != nil || !activation.isIdentity else { return }
        for c in 0..<channels {
            activation.addBiasAndApply(to: y + c * spatial, count: spatial, bias: bias?[c] ?? 0)
        }
    }
}

/// A validated Conv call: shapes agree, groups divide channels, geometry fits.
struct ConvProblem {
    let batch: Int
    let inChannels: Int
    let outChannels: Int
    let group: Int
    let geometry: SpatialGeometry

    var isDepthwise: Bool { group == inChannels && group > 1 }

    init(node: Node, x: Tensor, w: Tensor, bias: Tensor?) throws {
        guard x.rank >= 3 else {
            throw node.kernelError("input X has shape \(shapeText(x.shape)); rank 3 or more (N, C, spatial...) is needed")
        }
        guard w.rank == x.rank else {
            throw node.kernelError("weights W have shape \(shapeText(w.shape)) (rank \(w.rank)) but X has rank \(x.rank)")
        }
        let group = node.int("group", default: 1)
        guard group >= 1 else { throw node.kernelError("group \(group) must be positive") }
        batch = x.shape[0]
        inChannels = x.shape[1]
        outChannels = w.shape[0]
        self.group = group
        guard inChannels % group == 0 else {
            throw node.kernelError("group \(group) does not divide the \(inChannels) input channels")
        }
        guard outChannels % group == 0 else {
            throw node.kernelError("group \(group) does not divide the \(outChannels) output channels of W")
        }
        guard w.shape[1] * group == inChannels else {
            throw node.kernelError("W has \(w.shape[1]) input channels per group (shape \(shapeText(w.shape))) but X has "
                                   + "\(inChannels) channels in \(group) group(s)")
        }
        let kernel = Array(w.shape[2...])
        if let declared = node.ints("kernel_shape"), !declared.isEmpty, declared != kernel {
            throw node.kernelError("kernel_shape \(shapeText(declared)) disagrees with W's shape \(shapeText(w.shape))")
        }
        if let bias {
            guard bias.isFloat, bias.count == outChannels else {
                throw node.kernelError("bias B has shape \(shapeText(bias.shape)); \(outChannels) values expected")
            }
        }
        let window = try WindowAttributes(node: node, kernel: kernel)
        geometry = try window.convGeometry(input: Array(x.shape[2...]), node: node)
    }
}
