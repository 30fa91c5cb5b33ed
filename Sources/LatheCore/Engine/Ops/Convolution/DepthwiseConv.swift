/// Direct depthwise convolution (group == input channels, any channel
/// multiplier) for 1-D and 2-D inputs: im2col would multiply a 1-row matrix
/// per channel, so a direct loop is many times faster.
///
/// Each output row is split into a border (taps may fall in the padding,
/// tested per tap) and an interior where every tap is inside the input; the
/// interior runs eight outputs at a time in SIMD registers across all taps,
/// for strides 1 and 2. Bias starts the sums; the activation runs over the
/// finished row while it is still in cache. Narrow rows go to
/// `DepthwiseConvPadded`, 3×3 kernels to `DepthwiseConv3x3`.
enum DepthwiseConv {
    /// - Parameters:
    ///   - input: `batch × channels` planes of `g.inputCount` values.
    ///   - weights: `channels · multiplier` filters of `g.kernelCount` values.
    ///   - bias: `channels · multiplier` values, or nil.
    ///   - g: canonical geometry with a unit depth axis.
    ///   - output: `batch × channels · multiplier` planes of `g.outputCount` values.
    /// Never inlined, for the reason `PaddedDepthwisePlanes.run` gives.
    @inline(never)
    static func run(input: UnsafePointer<Float>, batch: Int, channels: Int, multiplier: Int,
                    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, geometry g: SpatialGeometry,
                    activation: FusedActivation, output: UnsafeMutablePointer<Float>) {
        if DepthwiseConv3x3.applies(g) {
            DepthwiseConv3x3.run(input: input, batch: batch, channels: channels, multiplier: multiplier,
                                 weights: weights, bias: bias, geometry: g, activation: activation, output: output)
            return
        }
        let plan = RowPlan(g)
        // Rows too narrow for a 32-wide interior block spend most outputs in
        // border code here; the padded path has no borders.
        if plan.vectorEnd - plan.interior.lowerBound < 32 && DepthwiseConvPadded.applies(g) {
            DepthwiseConvPadded.run(input: input, batch: batch, channels: channels, multiplier: multiplier,
                                    weights: weights, bias: bias, geometry: g, activation: activation, output: output)
            return
        }
        let outChannels = channels * multiplier
        for n in 0..<batch {
            for oc in 0..<outChannels {
                let ic = oc / multiplier
                plane(input: input + (n * channels + ic) * g.inputCount,
                      weights: weights + oc * g.kernelCount,
                      bias: bias?[oc] ?? 0, plan: plan, activation: activation,
                      output: output + (n * outChannels + oc) * g.outputCount)
            }
        }
    }

    /// Per-call constants of the row loop.
    struct RowPlan {
        let inH, inW, outH, outW: Int
        let kh, kw, sh, sw, dh, dw, padTop, padLeft: Int
        /// Output columns where every horizontal tap is inside the input.
        let interior: Range<Int>
        /// End of the interior part the SIMD loop may cover (its loads must stay inside the row).
        let vectorEnd: Int

        init(_ g: SpatialGeometry) {
            inH = g.input[1]; inW = g.input[2]; outH = g.output[1]; outW = g.output[2]
            kh = g.kernel[1]; kw = g.kernel[2]; sh = g.strides[1]; sw = g.strides[2]
            dh = g.dilations[1]; dw = g.dilations[2]; padTop = g.padBegin[1]; padLeft = g.padBegin[2]
            var lo = 0, hi = outW
            for kj in 0..<kw {
                let r = g.validOutputRange(axis: 2, tap: kj)
                lo = max(lo, r.lowerBound)
                hi = min(hi, r.upperBound)
            }
            interior = lo < hi ? lo..<hi : outW..<outW
            // A stride-2 block loads 16 consecutive values: one past its last tap.
            let overread = sw == 2 ? 1 : 0
            let lastOffset = (kw - 1) * dw - padLeft
            vectorEnd = min(interior.upperBound, floorDiv(inW - 1 - overread - lastOffset, sw) + 1)
        }
    }

    @inline(__always)
    static func plane(input: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias: Float, plan p: RowPlan,
                      activation: FusedActivation, output: UnsafeMutablePointer<Float>) {
        for oh in 0..<p.outH {
            let orow = output + oh * p.outW
            let ihBase = oh * p.sh - p.padTop
            let kiLo = max(0, ceilDiv(-ihBase, p.dh))
            let kiHi = min(p.kh, ceilDiv(p.inH - ihBase, p.dh))
            // Left border.
            for ow in 0..<p.interior.lowerBound {
                orow[ow] = borderValue(ow: ow, input: input, w: w, bias: bias, ihBase: ihBase, kiLo: kiLo, kiHi: kiHi, p: p)
            }
            var ow = p.interior.lowerBound
            let biasVector = SIMD8<Float>(repeating: bias)
            let rows = kiLo..<max(kiLo, kiHi)
            // The literal strides let each call specialise its loads.
            if p.sw == 1 && p.vectorEnd - ow >= 8 {
                ow = vectorRun(input: input, w: w, from: ow, stride: 1, ihBase: ihBase, rows: rows, p: p, bias: biasVector, row: orow)
            } else if p.sw == 2 && p.vectorEnd - ow >= 8 {
                ow = vectorRun(input: input, w: w, from: ow, stride: 2, ihBase: ihBase, rows: rows, p: p, bias: biasVector, row: orow)
            }
            // Rest of the interior: every tap is inside, no tests.
            while ow < p.interior.upperBound {
                var sum = bias
                for ki in kiLo..<max(kiLo, kiHi) {
                    let irow = input + (ihBase + ki * p.dh) * p.inW + ow * p.sw - p.padLeft
                    let wrow = w + ki * p.kw
                    for kj in 0..<p.kw { sum += wrow[kj] * irow[kj * p.dw] }
                }
                orow[ow] = sum
                ow += 1
            }
            // Right border.
            for ow in max(p.interior.upperBound, p.interior.lowerBound)..<p.outW {
                orow[ow] = borderValue(ow: ow, input: input, w: w, bias: bias, ihBase: ihBase, kiLo: kiLo, kiHi: kiHi, p: p)
            }
            if !activation.isIdentity { activation.addBiasAndApply(to: orow, count: p.outW, bias: 0) }
        }
    }

    /// Outputs `start..<vectorEnd` of one row (at least eight): thirty-two at
    /// a time in four independent accumulators (one would serialise on the
    /// add latency), then eight at a time; the last block is shifted back to
    /// end at vectorEnd, recomputing a few outputs instead of leaving a scalar
    /// tail. Returns vectorEnd.
    @inline(__always)
    static func vectorRun(input: UnsafePointer<Float>, w: UnsafePointer<Float>, from start: Int, stride: Int, ihBase: Int,
                          rows: Range<Int>, p: RowPlan, bias: SIMD8<Float>, row: UnsafeMutablePointer<Float>) -> Int {
        var ow = start
        while ow + 32 <= p.vectorEnd {
            block32(input: input, w: w, at: ow, stride: stride, ihBase: ihBase, rows: rows, p: p, bias: bias, output: row + ow)
            ow += 32
        }
        while ow < p.vectorEnd {
            let at = min(ow, p.vectorEnd - 8)
            var acc = bias
            for ki in rows {
                let irow = input + (ihBase + ki * p.dh) * p.inW + at * stride - p.padLeft
                let wrow = w + ki * p.kw
                for kj in 0..<p.kw { acc += SIMD8<Float>(repeating: wrow[kj]) * PaddedPlane.load8(irow + kj * p.dw, stride: stride) }
            }
            UnsafeMutableRawPointer(row + at).storeBytes(of: acc, as: SIMD8<Float>.self)
            ow = at + 8
        }
        return ow
    }

    @inline(__always)
    static func block32(input: UnsafePointer<Float>, w: UnsafePointer<Float>, at ow: Int, stride: Int, ihBase: Int,
                        rows: Range<Int>, p: RowPlan, bias: SIMD8<Float>, output: UnsafeMutablePointer<Float>) {
        var a0 = bias, a1 = bias, a2 = bias, a3 = bias
        let step = 8 * stride
        for ki in rows {
            let irow = input + (ihBase + ki * p.dh) * p.inW + ow * stride - p.padLeft
            let wrow = w + ki * p.kw
            for kj in 0..<p.kw {
                let weight = SIMD8<Float>(repeating: wrow[kj])
                let x = irow + kj * p.dw
                a0 += weight * PaddedPlane.load8(x, stride: stride)
                a1 += weight * PaddedPlane.load8(x + step, stride: stride)
                a2 += weight * PaddedPlane.load8(x + 2 * step, stride: stride)
                a3 += weight * PaddedPlane.load8(x + 3 * step, stride: stride)
            }
        }
        let out = UnsafeMutableRawPointer(output)
        out.storeBytes(of: a0, as: SIMD8<Float>.self)
        out.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
        out.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self)
        out.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func borderValue(ow: Int, input: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: Float,
                            ihBase: Int, kiLo: Int, kiHi: Int, p: RowPlan) -> Float {
        var sum = bias
        let iwBase = ow * p.sw - p.padLeft
        for ki in kiLo..<max(kiLo, kiHi) {
            let irow = input + (ihBase + ki * p.dh) * p.inW
            for kj in 0..<p.kw {
                let iw = iwBase + kj * p.dw
                if iw >= 0 && iw < p.inW { sum += w[ki * p.kw + kj] * irow[iw] }
            }
        }
        return sum
    }
}
