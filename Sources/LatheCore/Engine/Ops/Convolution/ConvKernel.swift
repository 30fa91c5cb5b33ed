/// ONNX Conv (1-D, 2-D, 3-D; groups, dilations, strides, pads, auto_pad,
/// optional bias) with the fused activation of `FusedActivation`.
///
/// Paths, chosen by shape:
/// - depthwise (group == channels > 1, 1-D/2-D): `DepthwiseConv`, direct;
/// - 2-D with small weights (`PackedConv2D.applies`): the C micro-kernel,
///   reading a padded, stride-phased copy of each image in place, or for
///   3×3 stride-1 layers of 16 channels and more, Winograd's F(2×2, 3×3)
///   on the same micro-kernel (`WinogradConv2D`);
/// - pointwise (1×1, stride 1, no padding) with larger weights: the input
///   planes are the GEMM operand, no im2col;
/// - otherwise: im2col, then GEMM (OpenBLAS).
/// GEMMs run per image and group, or, for small feature maps, over several
/// images side by side (`GemmPlan`). Bias and activation are applied in one
/// pass over each output channel.
enum ConvKernel {
    /// Set (to 1) on the Conv that `IntegerConv` runs its integer sums as: see `ConvProblem.exactSums`.
    static let exactSumsKey = "lathe.exact_sums"

    static func run(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        try run(node, inputs, memo: nil)
    }

    /// A kernel for one compiled step, remembering its setup between calls (see `ConvSetup`).
    static func remembering() -> Kernel {
        let memo = LastValueMemo<ConvSetup.Key, ConvSetup>()
        return { node, inputs in try run(node, inputs, memo: memo) }
    }

    private static func run(_ node: Node, _ inputs: [Tensor?], memo: LastValueMemo<ConvSetup.Key, ConvSetup>?) throws
        -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "X")
        let w = try node.floatInput(inputs, 1, "W")
        let b = node.optionalInput(inputs, 2)
        let key = ConvSetup.Key(x: x.shape, w: w.shape, biasCount: b?.count)
        let setup = try memo?.value(for: key) { try ConvSetup(node: node, x: x, w: w, bias: b) }
            ?? ConvSetup(node: node, x: x, w: w, bias: b)
        let problem = setup.problem, g = setup.geometry, activation = setup.activation, plan = setup.plan
        let outShape = setup.outShape, outCount = setup.outCount

        // Packed once per weight array (see `PackedWeightCache`), not per call or part.
        let packedWeights = setup.packedForm.map {
            PackedWeightCache.shared.packed(w.floats, form: $0, rows: plan.mg, reduction: plan.reduction,
                                            groups: problem.group)
        }
        let result = x.floats.withUnsafeBufferPointer { xBuf in
            w.floats.withUnsafeBufferPointer { wBuf in
                (b?.floats ?? []).withUnsafeBufferPointer { bBuf in
                    uninitializedFloats(outCount) { yBuf in
                        guard outCount > 0, let xp = xBuf.baseAddress, let wp = wBuf.baseAddress,
                              let yp = yBuf.baseAddress else {
                            // Only zero input channels get here with outputs to fill: their sum is empty.
                            yBuf.initialize(repeating: 0)
                            return
                        }
                        let bias = bBuf.count == problem.outChannels ? bBuf.baseAddress : nil
                        compute(problem, g, x: xp, w: wp, bias: bias, activation: activation, y: yp,
                                packedWeights: packedWeights)
                    }
                }
            }
        }
        return [Tensor(shape: outShape, floats: result, dtype: x.dtype)]
    }

    /// With op-level parallelism (`OpParallelism`), the images of the batch
    /// are split across workers (in whole groups of `GemmPlan.imagesPerGemm`,
    /// so the values are those of the unsplit batch); a single image splits
    /// its GEMMs by rows or columns instead, or a depthwise layer its channels.
    static func compute(_ p: ConvProblem, _ g: SpatialGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, activation: FusedActivation, y: UnsafeMutablePointer<Float>,
                        splitImages: Bool = true, packedWeights: [Float]? = nil) {
        let work = p.batch * p.outChannels * g.outputCount * (p.inChannels / p.group) * g.kernelCount
        let depthwise = isDirectDepthwise(p, g)
        // Images split in whole GEMM groups, so each part forms the GEMMs the whole batch would
        // (depthwise runs image by image).
        let plan = GemmPlan(p, g)
        let packed = takesPackedPath(p, g, plan)
        let chunk = depthwise || packed ? 1 : plan.imagesPerGemm
        let chunks = (p.batch + chunk - 1) / chunk
        if splitImages && OpParallelism.partCount(chunks, work: work) > 1 {
            OpParallelism.forEachPart(of: chunks, work: work) { part in
                let images = (part.lowerBound * chunk)..<min(part.upperBound * chunk, p.batch)
                compute(p.with(batch: images.count), g, x: x + images.lowerBound * p.inChannels * g.inputCount, w: w,
                        bias: bias, activation: activation, y: y + images.lowerBound * p.outChannels * g.outputCount,
                        splitImages: false, packedWeights: packedWeights)
            }
            return
        }
        if depthwise {
            let multiplier = p.outChannels / p.inChannels
            // Channels are contiguous only within one image: several images stay whole.
            OpParallelism.forEachPart(of: p.batch == 1 ? p.inChannels : 1, work: work) { part in
                let channels = p.batch == 1 ? part : 0..<p.inChannels
                let first = channels.lowerBound
                DepthwiseConv.run(input: x + first * g.inputCount, batch: p.batch, channels: channels.count,
                                  multiplier: multiplier, weights: w + first * multiplier * g.kernelCount,
                                  bias: bias.map { $0 + first * multiplier }, geometry: g, activation: activation,
                                  output: y + first * multiplier * g.outputCount)
            }
            return
        }
        if packed {
            PackedConv2D.compute(p, g, plan, x: x, w: w, bias: bias, activation: activation, y: y,
                                 packedWeights: packedWeights)
        } else if plan.imagesPerGemm == 1 {
            computePerImage(p, g, plan, x: x, w: w, bias: bias, activation: activation, y: y)
        } else {
            computeFolded(p, g, plan, x: x, w: w, bias: bias, activation: activation, y: y)
        }
    }

    /// Depthwise layers with a direct kernel (`DepthwiseConv`, 1-D and 2-D).
    static func isDirectDepthwise(_ p: ConvProblem, _ g: SpatialGeometry) -> Bool {
        p.isDepthwise && g.input[0] == 1 && g.kernel[0] == 1
    }

    /// Whether `compute` runs this convolution on the C micro-kernel (`PackedConv2D`).
    static func takesPackedPath(_ p: ConvProblem, _ g: SpatialGeometry, _ plan: GemmPlan) -> Bool {
        !isDirectDepthwise(p, g) && PackedConv2D.applies(p, g, plan)
    }

    /// How the convolution maps onto GEMMs: `weights[mg, reduction] ×
    /// operand[reduction, imagesPerGemm · spatial]` per group.
    struct GemmPlan {
        let cg, mg, reduction, spatial: Int
        /// 1×1, stride 1, unpadded: the input planes are the operand, no im2col.
        let pointwise: Bool
        /// Small feature maps make thin GEMMs that OpenBLAS runs poorly, so
        /// several images go side by side into one wider operand.
        let imagesPerGemm: Int

        /// Aim for operands at least this wide…
        static let targetColumns = 2048
        /// …without letting the folded operand outgrow the cache-friendly size.
        static let maxOperandFloats = 2 << 20

        init(_ p: ConvProblem, _ g: SpatialGeometry) {
            cg = p.inChannels / p.group
            mg = p.outChannels / p.group
            reduction = cg * g.kernelCount
            spatial = g.outputCount
            pointwise = g.kernelCount == 1 && g.strides.allSatisfy { $0 == 1 }
                && g.padBegin.allSatisfy { $0 == 0 } && g.padEnd.allSatisfy { $0 == 0 }
            let wanted = max(1, Self.targetColumns / max(1, spatial))
            let affordable = max(1, Self.maxOperandFloats / max(1, reduction * spatial))
            imagesPerGemm = spatial >= Self.targetColumns ? 1 : min(p.batch, wanted, affordable)
        }
    }

    /// Columns of one im2col band on a large 2-D output: the band's operand
    /// (reduction × columns floats) stays in cache while OpenBLAS packs it,
    /// instead of a whole-image operand that makes a round trip through memory.
    static let bandOperandFloats = 1 << 18

    /// One GEMM per image and group (per band of output rows on large 2-D
    /// outputs), written straight into the output.
    static func computePerImage(_ p: ConvProblem, _ g: SpatialGeometry, _ plan: GemmPlan, x: UnsafePointer<Float>,
                                w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation: FusedActivation,
                                y: UnsafeMutablePointer<Float>) {
        let outW = g.output[2]
        let banded = !plan.pointwise && g.output[0] == 1 && plan.reduction * plan.spatial > 2 * bandOperandFloats
        let bandRows = banded ? max(1, bandOperandFloats / max(1, plan.reduction * outW)) : g.output[1]
        let capacity = plan.pointwise ? 1 : plan.reduction * (banded ? bandRows * outW : plan.spatial)
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer { columns.deallocate() }
        for n in 0..<p.batch {
            for group in 0..<p.group {
                let xg = x + (n * p.inChannels + group * plan.cg) * g.inputCount
                let a = w + group * plan.mg * plan.reduction
                let c = y + (n * p.outChannels + group * plan.mg) * plan.spatial
                if plan.pointwise {
                    ParallelGemm.sgemm(m: plan.mg, n: plan.spatial, k: plan.reduction, a: a, lda: plan.reduction,
                                       b: xg, ldb: plan.spatial, c: c, ldc: plan.spatial)
                    continue
                }
                var first = 0
                while first < g.output[1] {
                    let rows = first..<min(first + bandRows, g.output[1])
                    let width = rows.count * outW
                    parallelIm2col(xg, channels: plan.cg, geometry: g, into: columns, rowStride: banded ? width : plan.spatial,
                                   outputRows: banded ? rows : nil)
                    ParallelGemm.sgemm(m: plan.mg, n: banded ? width : plan.spatial, k: plan.reduction, a: a,
                                       lda: plan.reduction, b: columns, ldb: banded ? width : plan.spatial,
                                       c: c + first * outW, ldc: plan.spatial)
                    first = rows.upperBound
                }
            }
            applyEpilogue(y + n * p.outChannels * plan.spatial, channels: p.outChannels, spatial: plan.spatial,
                          bias: bias, activation: activation)
        }
    }

    /// Several images per GEMM: their columns sit side by side in one operand,
    /// and the product is scattered back to NCHW with bias and activation.
    static func computeFolded(_ p: ConvProblem, _ g: SpatialGeometry, _ plan: GemmPlan, x: UnsafePointer<Float>,
                              w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation: FusedActivation,
                              y: UnsafeMutablePointer<Float>) {
        let width = plan.imagesPerGemm * plan.spatial
        let operand = UnsafeMutablePointer<Float>.allocate(capacity: plan.reduction * width)
        let product = UnsafeMutablePointer<Float>.allocate(capacity: plan.mg * width)
        defer {
            operand.deallocate()
            product.deallocate()
        }
        var first = 0
        while first < p.batch {
            let images = min(plan.imagesPerGemm, p.batch - first)
            let columns = images * plan.spatial
            for group in 0..<p.group {
                // The copies in and out split by image across the op's workers, like the GEMM between them.
                OpParallelism.forEachPart(of: images, work: plan.reduction * columns) { part in
                    for i in part {
                        let xg = x + ((first + i) * p.inChannels + group * plan.cg) * g.inputCount
                        if plan.pointwise {
                            for c in 0..<plan.cg {
                                (operand + c * columns + i * plan.spatial).update(from: xg + c * plan.spatial,
                                                                                  count: plan.spatial)
                            }
                        } else {
                            Im2Col.im2col(xg, channels: plan.cg, geometry: g, into: operand + i * plan.spatial,
                                          rowStride: columns)
                        }
                    }
                }
                ParallelGemm.sgemm(m: plan.mg, n: columns, k: plan.reduction,
                                   a: w + group * plan.mg * plan.reduction, lda: plan.reduction, b: operand,
                                   ldb: columns, c: product, ldc: columns)
                OpParallelism.forEachPart(of: images, work: plan.mg * columns) { part in
                    for i in part {
                        for m in 0..<plan.mg {
                            let channel = group * plan.mg + m
                            let dst = y + ((first + i) * p.outChannels + channel) * plan.spatial
                            activation.storeAddingBias(from: product + m * columns + i * plan.spatial, to: dst,
                                                       count: plan.spatial, bias: bias?[channel] ?? 0)
                        }
                    }
                }
            }
            first += images
        }
    }

    /// Bias plus activation over `channels` planes of `spatial` values.
    @inline(__always)
    static func applyEpilogue(_ y: UnsafeMutablePointer<Float>, channels: Int, spatial: Int,
                              bias: UnsafePointer<Float>?, activation: FusedActivation) {
        guard bias != nil || !activation.isIdentity else { return }
        OpParallelism.forEachPart(of: channels, work: channels * spatial) { part in
            for c in part {
                activation.addBiasAndApply(to: y + c * spatial, count: spatial, bias: bias?[c] ?? 0)
            }
        }
    }

    /// im2col cut by input channels across the op's workers: with one image per call the copy is
    /// a large share of a convolution, and left serial it would idle every core but one.
    static func parallelIm2col(_ x: UnsafePointer<Float>, channels: Int, geometry g: SpatialGeometry,
                               into columns: UnsafeMutablePointer<Float>, rowStride: Int, outputRows: Range<Int>?) {
        OpParallelism.forEachPart(of: channels, work: channels * g.kernelCount * rowStride) { part in
            Im2Col.im2col(x + part.lowerBound * g.inputCount, channels: part.count, geometry: g,
                          into: columns + part.lowerBound * g.kernelCount * rowStride, rowStride: rowStride,
                          outputRows: outputRows)
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
    /// Every sum must be a chain of multiply-adds of the products themselves (`ConvKernel.exactSumsKey`): no
    /// Winograd, whose transforms round. Whole-number operands then give exact whole-number sums.
    let exactSums: Bool

    var isDepthwise: Bool { group == inChannels && group > 1 }

    /// The same convolution over `count` images of the batch.
    func with(batch count: Int) -> ConvProblem {
        ConvProblem(batch: count, inChannels: inChannels, outChannels: outChannels, group: group, geometry: geometry,
                    exactSums: exactSums)
    }

    private init(batch: Int, inChannels: Int, outChannels: Int, group: Int, geometry: SpatialGeometry,
                 exactSums: Bool) {
        self.batch = batch
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.group = group
        self.geometry = geometry
        self.exactSums = exactSums
    }

    init(node: Node, x: Tensor, w: Tensor, bias: Tensor?) throws {
        exactSums = node.int(ConvKernel.exactSumsKey) == 1
        let group = try node.convolutionGroup(x: x, w: w)
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
