/// Lowering between images and GEMM operands for convolutions, on the
/// canonical three-axis geometry (see `SpatialGeometry.canonical()`).
///
/// `im2col` writes one row per (channel, kernel tap) and one column per
/// output position, so `weights[M, C·K] × columns[C·K, outputs]` is the
/// convolution. `col2im` is its adjoint (scatter-add), used by ConvTranspose.
/// Valid ranges are computed per tap so the inner loops carry no bounds tests.
enum Im2Col {
    /// - Parameters:
    ///   - source: `channels` planes of `g.inputCount` values.
    ///   - columns: `channels · g.kernelCount` rows of `g.outputCount` values,
    ///     consecutive rows `rowStride` apart (wider when several images share
    ///     one matrix side by side).
    ///   - outputRows: only these output rows (a band of a 2-D output: `g.output[0]` is 1),
    ///     their columns side by side; all rows when nil.
    static func im2col(_ source: UnsafePointer<Float>, channels: Int, geometry g: SpatialGeometry,
                       into columns: UnsafeMutablePointer<Float>, rowStride: Int? = nil,
                       outputRows: Range<Int>? = nil) {
        let (inH, inW) = (g.input[1], g.input[2])
        let (outD, outW) = (g.output[0], g.output[2])
        let rows = outputRows ?? 0..<g.output[1]
        let outH = rows.count
        let outPlane = outH * outW
        let rowStride = rowStride ?? outD * outPlane
        let (sd, sh, sw) = (g.strides[0], g.strides[1], g.strides[2])
        var row = columns
        for c in 0..<channels {
            let plane = source + c * g.inputCount
            for kd in 0..<g.kernel[0] {
                let dRange = g.validOutputRange(axis: 0, tap: kd)
                for kh in 0..<g.kernel[1] {
                    let hRange = g.validOutputRange(axis: 1, tap: kh)
                    for kw in 0..<g.kernel[2] {
                        let wRange = g.validOutputRange(axis: 2, tap: kw)
                        let wOffset = kw * g.dilations[2] - g.padBegin[2]
                        for od in 0..<outD {
                            let slab = row + od * outPlane
                            guard dRange.contains(od) else {
                                slab.update(repeating: 0, count: outPlane)
                                continue
                            }
                            let id = od * sd - g.padBegin[0] + kd * g.dilations[0]
                            let depthPlane = plane + id * inH * inW
                            for oh in rows {
                                let out = slab + (oh - rows.lowerBound) * outW
                                guard hRange.contains(oh) else {
                                    out.update(repeating: 0, count: outW)
                                    continue
                                }
                                let ih = oh * sh - g.padBegin[1] + kh * g.dilations[1]
                                let src = depthPlane + ih * inW + wOffset
                                if wRange.lowerBound > 0 { out.update(repeating: 0, count: wRange.lowerBound) }
                                if wRange.upperBound < outW {
                                    (out + wRange.upperBound).update(repeating: 0, count: outW - wRange.upperBound)
                                }
                                if sw == 1 {
                                    (out + wRange.lowerBound).update(from: src + wRange.lowerBound, count: wRange.count)
                                } else {
                                    StridedGather.gather(src, stride: sw, into: out, range: wRange,
                                                         rowEnd: inW - wOffset)
                                }
                            }
                        }
                        row += rowStride
                    }
                }
            }
        }
    }

    /// Scatter-adds `columns` (rows per (channel, tap), columns per position of
    /// the small grid `g.output`) into `image` (channels planes of `g.input`
    /// values). For ConvTranspose the "output" of this geometry is the input
    /// image and the "input" the (larger) result, exactly mirroring im2col.
    static func col2im(_ columns: UnsafePointer<Float>, channels: Int, geometry g: SpatialGeometry,
                       into image: UnsafeMutablePointer<Float>) {
        let (inH, inW) = (g.input[1], g.input[2])
        let (outH, outW) = (g.output[1], g.output[2])
        let outPlane = outH * outW
        let (sd, sh, sw) = (g.strides[0], g.strides[1], g.strides[2])
        var row = columns
        for c in 0..<channels {
            let plane = image + c * g.inputCount
            for kd in 0..<g.kernel[0] {
                let dRange = g.validOutputRange(axis: 0, tap: kd)
                for kh in 0..<g.kernel[1] {
                    let hRange = g.validOutputRange(axis: 1, tap: kh)
                    for kw in 0..<g.kernel[2] {
                        let wRange = g.validOutputRange(axis: 2, tap: kw)
                        let wOffset = kw * g.dilations[2] - g.padBegin[2]
                        for od in dRange {
                            let id = od * sd - g.padBegin[0] + kd * g.dilations[0]
                            let slab = row + od * outPlane
                            let depthPlane = plane + id * inH * inW
                            for oh in hRange {
                                let ih = oh * sh - g.padBegin[1] + kh * g.dilations[1]
                                let src = slab + oh * outW
                                let dst = depthPlane + ih * inW + wOffset
                                if sw == 1 {
                                    for ow in wRange { dst[ow] += src[ow] }
                                } else {
                                    for ow in wRange { dst[ow * sw] += src[ow] }
                                }
                            }
                        }
                        row += g.outputCount
                    }
                }
            }
        }
    }
}
