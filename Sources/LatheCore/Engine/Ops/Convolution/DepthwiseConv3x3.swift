/// Depthwise 3×3 convolution, dilation 1, horizontal stride 1 or 2, for small
/// feature maps: rows of 28, 14 or 7 outputs are too narrow for the general
/// path's interior SIMD loop, which leaves most of the work to scalar border
/// code.
///
/// Each input channel plane is copied once into a zero-padded scratch plane,
/// so every output — border or not — is the same nine loads and
/// multiply-adds with no tests; outputs go eight at a time in SIMD
/// registers. The scratch plane has slack after its last row so the lanes
/// past a row's end (discarded) never read outside it. Bias starts the sums
/// and the activation is applied in the register before the store.
///
/// Rows of 7 or 14 outputs end in a partial block. Planes are written in
/// address order, so that block is stored whole: its extra lanes land on
/// outputs not computed yet, which overwrite them later. Only a block that
/// would pass the end of the whole output is stored lane by lane.
enum DepthwiseConv3x3 {
    /// Whether this path handles the geometry.
    static func applies(_ g: SpatialGeometry) -> Bool {
        g.kernel[1] == 3 && g.kernel[2] == 3 && g.dilations[1] == 1 && g.dilations[2] == 1
            && (g.strides[2] == 1 || g.strides[2] == 2) && g.strides[1] >= 1
            && g.output[1] > 0 && g.output[2] > 0
    }

    /// Same contract as `DepthwiseConv.run`; the caller checked `applies`.
    static func run(input: UnsafePointer<Float>, batch: Int, channels: Int, multiplier: Int,
                    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, geometry g: SpatialGeometry,
                    activation: FusedActivation, output: UnsafeMutablePointer<Float>) {
        let plan = Plan(g)
        let outChannels = channels * multiplier
        let end = output + batch * outChannels * plan.outH * plan.outW
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: plan.scratchCount)
        defer { scratch.deallocate() }
        // Padding cells are never written by the copy, so one zeroing serves every plane.
        scratch.initialize(repeating: 0, count: plan.scratchCount)
        for n in 0..<batch {
            for ic in 0..<channels {
                plan.copyPadded(input + (n * channels + ic) * plan.inH * plan.inW, into: scratch)
                for m in 0..<multiplier {
                    let oc = ic * multiplier + m
                    let out = output + (n * outChannels + oc) * plan.outH * plan.outW
                    if plan.sw == 1 {
                        plane(scratch, weights: weights + oc * 9, bias: bias?[oc] ?? 0, plan: plan, stride: 1,
                              activation: activation, output: out, end: end)
                    } else {
                        plane(scratch, weights: weights + oc * 9, bias: bias?[oc] ?? 0, plan: plan, stride: 2,
                              activation: activation, output: out, end: end)
                    }
                }
            }
        }
    }

    struct Plan {
        let inH, inW, outH, outW, sh, sw, padTop, padLeft: Int
        /// Padded plane: exactly the rows and columns the outputs read.
        let rows, cols: Int
        let scratchCount: Int

        init(_ g: SpatialGeometry) {
            inH = g.input[1]; inW = g.input[2]; outH = g.output[1]; outW = g.output[2]
            sh = g.strides[1]; sw = g.strides[2]; padTop = g.padBegin[1]; padLeft = g.padBegin[2]
            rows = (outH - 1) * sh + 3
            cols = (outW - 1) * sw + 3
            // A row's last block may run up to seven outputs past the row; a
            // stride-2 block loads sixteen values from its start. Both stay
            // within 2 · 8 + 3 values past the last row's end.
            scratchCount = rows * cols + 2 * 8 + 3 + 16
        }

        /// Copies one input plane into the interior of the padded plane;
        /// input cells no output reads (rows or columns a stride leaves over
        /// at the end) are skipped.
        func copyPadded(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
            let colLo = max(0, -padLeft), colHi = min(inW, cols - padLeft)
            guard colLo < colHi else { return }
            for ih in max(0, -padTop)..<min(inH, rows - padTop) {
                (dst + (ih + padTop) * cols + colLo + padLeft)
                    .update(from: src + ih * inW + colLo, count: colHi - colLo)
            }
        }
    }

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>, stride: Int) -> SIMD8<Float> {
        stride == 1
            ? UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
            : UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self).evenHalf
    }

    /// One output plane. Index arithmetic wraps (`&+`, `&*`): the plan's
    /// sizes bound every offset, and overflow checks in this innermost loop
    /// cost a measurable share of a MobileNet pass.
    @inline(__always)
    static func plane(_ padded: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias: Float, plan p: Plan,
                      stride: Int, activation: FusedActivation, output: UnsafeMutablePointer<Float>,
                      end: UnsafeMutablePointer<Float>) {
        let w0 = SIMD8<Float>(repeating: w[0]), w1 = SIMD8<Float>(repeating: w[1]), w2 = SIMD8<Float>(repeating: w[2])
        let w3 = SIMD8<Float>(repeating: w[3]), w4 = SIMD8<Float>(repeating: w[4]), w5 = SIMD8<Float>(repeating: w[5])
        let w6 = SIMD8<Float>(repeating: w[6]), w7 = SIMD8<Float>(repeating: w[7]), w8 = SIMD8<Float>(repeating: w[8])
        let b = SIMD8<Float>(repeating: bias)
        let cols = p.cols, rowStep = p.sh &* cols, outW = p.outW
        for oh in 0..<p.outH {
            let r0 = padded + oh &* rowStep
            let r1 = r0 + cols, r2 = r1 + cols
            let orow = output + oh &* outW
            var ow = 0
            while ow < outW {
                let x = ow &* stride
                var acc = b
                acc += w0 * load8(r0 + x, stride: stride)
                acc += w1 * load8(r0 + (x &+ 1), stride: stride)
                acc += w2 * load8(r0 + (x &+ 2), stride: stride)
                acc += w3 * load8(r1 + x, stride: stride)
                acc += w4 * load8(r1 + (x &+ 1), stride: stride)
                acc += w5 * load8(r1 + (x &+ 2), stride: stride)
                acc += w6 * load8(r2 + x, stride: stride)
                acc += w7 * load8(r2 + (x &+ 1), stride: stride)
                acc += w8 * load8(r2 + (x &+ 2), stride: stride)
                acc = activation.apply(acc)
                let target = orow + ow
                if end - target >= 8 {
                    UnsafeMutableRawPointer(target).storeBytes(of: acc, as: SIMD8<Float>.self)
                } else {
                    for lane in 0..<(outW &- ow) { target[lane] = acc[lane] }
                }
                ow &+= 8
            }
        }
    }
}
