import CLatheKernels

/// 2-D convolutions (any kernel, stride, dilation, padding and group count)
/// as a GEMM whose im2col operand is never written: each image is
/// first copied once into a zero-padded, stride-phased form (see
/// `lathe_conv2d_prepare`), after which every tap of sixteen neighbouring
/// output positions is sixteen consecutive floats, and the C micro-kernel
/// reads them in place while it multiplies them by a 6- or 4-row block of
/// the packed weights.
///
/// It replaces im2col + OpenBLAS where the weights are small enough to stay
/// in cache (the thin GEMMs of detectors and recognizers: 8 to 96 output
/// channels over large feature maps), where copying the operand nine times
/// over, then packing it again inside OpenBLAS, cost more than the
/// multiply-adds; with the 512-bit kernels, at any size up to
/// `maximumWeightFloats`. Each output value is one chain of fused
/// multiply-adds in the order of its terms, so the result does not depend on
/// how positions, images or threads are split.
enum PackedConv2D {
    /// Most weight values per group (output channels × channels × taps). For the 256-bit kernels,
    /// 512 KB of packed weights, which stay within a core's L2 beside a panel: past that, OpenBLAS
    /// (AVX2 too) blocks the product better. The 512-bit kernels run twice the multiply-adds a
    /// cycle, and stay ahead of OpenBLAS with weights streamed from L3: 96 to 121 GMAC/s on one
    /// core against 53 to 61 for im2col + OpenBLAS's AVX2 sgemm (about 108 on its AVX-512 kernels),
    /// from 192×96×3×3 on 26×26 to 512×512×3×3 on 7×7 and 2048×512 pointwise; 16 MB of weights
    /// still fit in L3 beside everything else.
    static var maximumWeightFloats: Int { lathe_wide_kernels() != 0 ? 1 << 22 : 1 << 17 }

    /// Floats of the wide-row buffer of a part that computes extra columns (`lathe_conv2d_rows`):
    /// 1 MB, the part's rows going through it a few at a time.
    static let wideFloats = 1 << 18

    /// Output positions computed before their bias and activation are applied: all output channels of
    /// them within 128 KB (so still in L2), in whole pairs of panels, which the micro-kernel runs together.
    static func finishedPositions(rows: Int) -> Int {
        let pair = 2 * LATHE_CONV_NR
        return max(pair, (1 << 15) / max(1, rows) / pair * pair)
    }

    static func applies(_ p: ConvProblem, _ g: SpatialGeometry, _ plan: ConvKernel.GemmPlan) -> Bool {
        guard g.input[0] == 1, g.kernel[0] == 1, g.output[0] == 1,
              plan.mg * plan.reduction <= maximumWeightFloats else { return false }
        let limit = Int(Int32.max)
        // The prepared image is indexed with 32-bit offsets: it is at most the padded input plus a stride a row.
        let paddedPlane = (g.input[1] + g.padBegin[1] + g.padEnd[1] + g.strides[1])
            * (g.input[2] + g.padBegin[2] + g.padEnd[2] + 2 * g.strides[2])
        return [g.inputCount, g.outputCount, plan.reduction, plan.cg * paddedPlane].allSatisfy { $0 <= limit }
            && (g.padBegin + g.strides + g.dilations).allSatisfy { abs($0) <= limit }
    }

    static func compute(_ p: ConvProblem, _ g: SpatialGeometry, _ plan: ConvKernel.GemmPlan,
                        x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        activation: FusedActivation, y: UnsafeMutablePointer<Float>, packedWeights: [Float]? = nil) {
        let form = PackedWeightCache.Form(p, g, plan)
        let weights = packedWeights.flatMap { $0.count == form.count(p, plan) ? $0 : nil }
            ?? PackedWeightCache.pack(w, form: form, rows: plan.mg, reduction: plan.reduction, groups: p.group)
        weights.withUnsafeBufferPointer { packed in
            guard let packed = packed.baseAddress else { return }
            if form == .winograd {
                WinogradConv2D.compute(p, g, plan, x: x, packed: packed, bias: bias, activation: activation, y: y)
            } else {
                compute(p, g, plan, x: x, packed: packed, bias: bias, activation: activation, y: y)
            }
        }
    }

    /// The window of one group's channels (depth, the first axis of a 2-D geometry, is 1).
    static func window(_ g: SpatialGeometry, _ plan: ConvKernel.GemmPlan) -> lathe_conv2d_window {
        lathe_conv2d_window(
            channels: Int32(plan.cg), in_h: Int32(g.input[1]), in_w: Int32(g.input[2]),
            out_h: Int32(g.output[1]), out_w: Int32(g.output[2]),
            kernel_h: Int32(g.kernel[1]), kernel_w: Int32(g.kernel[2]),
            stride_h: Int32(g.strides[1]), stride_w: Int32(g.strides[2]),
            pad_top: Int32(g.padBegin[1]), pad_left: Int32(g.padBegin[2]),
            dilation_h: Int32(g.dilations[1]), dilation_w: Int32(g.dilations[2]))
    }

    /// Bias and activation on positions [start, start + length) of the group's output channels (`out` is its first,
    /// `bias` its first channel's bias), right after they are computed, while still in a core's cache (after a whole
    /// part they would be read back from memory).
    static func finish(_ out: UnsafeMutablePointer<Float>, _ plan: ConvKernel.GemmPlan, bias: UnsafePointer<Float>?,
                       activation: FusedActivation, start: Int, length: Int) {
        guard bias != nil || !activation.isIdentity else { return }
        for r in 0..<plan.mg {
            activation.addBiasAndApply(to: out + r * plan.spatial + start, count: length, bias: bias?[r] ?? 0)
        }
    }

    /// `compute` with the weights packed already (`PackedWeightCache.pack`).
    private static func compute(_ p: ConvProblem, _ g: SpatialGeometry, _ plan: ConvKernel.GemmPlan,
                                x: UnsafePointer<Float>, packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                activation: FusedActivation, y: UnsafeMutablePointer<Float>) {
        let m = Int32(plan.mg), k = Int32(plan.reduction)
        let packedCount = lathe_packed_weights_count(m, k)
        let window = Self.window(g, plan)
        let (scratchCount, preparedCount) = withUnsafePointer(to: window) {
            (lathe_conv2d_scratch_count($0), lathe_conv2d_prepared_count($0))
        }
        // A 1×1 unpadded stride-1 image is its own prepared form.
        let prepared = UnsafeMutablePointer<Float>.allocate(capacity: plan.pointwise ? 0 : preparedCount)
        defer { prepared.deallocate() }
        let panel = LATHE_CONV_NR
        let panels = (plan.spatial + panel - 1) / panel
        let (outH, outW) = (g.output[1], g.output[2])
        let byRows = !plan.pointwise && withUnsafePointer(to: window) { lathe_conv2d_rows_apply($0) } != 0
        for n in 0..<p.batch {
            for group in 0..<p.group {
                let image = x + (n * p.inChannels + group * plan.cg) * g.inputCount
                if !plan.pointwise {
                    OpParallelism.forEachPart(of: plan.cg, work: preparedCount) { channels in
                        withUnsafePointer(to: window) {
                            lathe_conv2d_prepare($0, image, Int32(channels.lowerBound), Int32(channels.count), prepared)
                        }
                    }
                }
                let operand = plan.pointwise ? image : UnsafePointer(prepared)
                let firstChannel = group * plan.mg
                let out = y + (n * p.outChannels + firstChannel) * plan.spatial
                let weights = packed + group * packedCount
                // Parts are runs of panels, or of output rows when panels would cross row ends.
                OpParallelism.forEachPart(of: byRows ? outH : panels, work: plan.mg * plan.reduction * plan.spatial) { part in
                    let first = byRows ? part.lowerBound * outW : part.lowerBound * panel
                    let count = (byRows ? part.upperBound * outW : min(part.upperBound * panel, plan.spatial)) - first
                    let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchCount * 4, alignment: 64)
                        .bindMemory(to: Float.self, capacity: scratchCount)
                    defer { scratch.deallocate() }
                    func finish(_ start: Int, _ length: Int) {
                        Self.finish(out, plan, bias: bias.map { $0 + firstChannel }, activation: activation,
                                    start: start, length: length)
                    }
                    withUnsafePointer(to: window) { window in
                        guard byRows else {
                            let stretch = Self.finishedPositions(rows: plan.mg)
                            var start = first
                            while start < first + count {
                                let length = min(stretch, first + count - start)
                                lathe_conv2d_positions(weights, m, window, operand, Int32(start), Int32(length), out,
                                                       plan.spatial, scratch)
                                finish(start, length)
                                start += length
                            }
                            return
                        }
                        // The wide rows go through a bounded buffer, a few rows at a time.
                        let chunk = max(1, Self.wideFloats / max(1, lathe_conv2d_wide_count(window, m, 1)))
                        let wide = UnsafeMutablePointer<Float>.allocate(
                            capacity: lathe_conv2d_wide_count(window, m, Int32(min(chunk, part.count))))
                        defer { wide.deallocate() }
                        for row in stride(from: part.lowerBound, to: part.upperBound, by: chunk) {
                            let rows = min(chunk, part.upperBound - row)
                            lathe_conv2d_rows(weights, m, window, operand, Int32(row), Int32(rows), out, plan.spatial,
                                              scratch, wide)
                            finish(row * outW, rows * outW)
                        }
                    }
                }
            }
        }
    }
}
