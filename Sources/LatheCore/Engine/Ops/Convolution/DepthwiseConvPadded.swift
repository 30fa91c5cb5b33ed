/// Depthwise convolution of any kernel size and dilation, horizontal stride
/// 1 or 2, over a zero-padded copy of each input plane (`PaddedPlane`): the
/// path for narrow feature maps (MobileNetV3's 5×5 layers on rows of 3–48
/// outputs), where the row-split path's borders leave most outputs to
/// scalar code.
///
/// Every block of eight outputs is the same `kh · kw` SIMD multiply-adds in
/// the order the row-split path sums them (bias, then taps row by row), so
/// both paths give the same values; padding taps add exact zeros. Blocks go
/// in pairs sharing each weight broadcast, so two independent sums hide the
/// add latency. The activation is applied in the register before the store.
enum DepthwiseConvPadded: PaddedPlaneKernel {
    /// Whether this path handles the geometry (the caller has a unit depth axis).
    static func applies(_ g: SpatialGeometry) -> Bool {
        (g.strides[2] == 1 || g.strides[2] == 2) && g.strides[1] >= 1
            && g.output[1] > 0 && g.output[2] > 0 && g.kernel[1] > 0 && g.kernel[2] > 0
    }

    /// One output plane. Index arithmetic wraps (`&+`, `&*`): the plan's
    /// sizes bound every offset, so overflow checks in the innermost loop
    /// would be pure overhead.
    @inline(__always)
    static func plane<Epilogue: LaneEpilogue>(_ padded: UnsafePointer<Float>, weights w: UnsafePointer<Float>,
                                              bias: Float, plan p: PaddedPlane, stride: Int, epilogue: Epilogue,
                                              output: UnsafeMutablePointer<Float>, end: UnsafeMutablePointer<Float>) {
        let b = SIMD8<Float>(repeating: bias)
        let cols = p.cols, outW = p.outW, kh = p.kh, kw = p.kw
        let rowStep = p.sh &* cols, tapRowStep = p.dh &* cols, dw = p.dw
        let pairStep = 8 &* stride
        for oh in 0..<p.outH {
            let top = padded + oh &* rowStep
            let orow = output + oh &* outW
            var ow = 0
            while ow < outW {
                let x = top + ow &* stride
                var acc0 = b, acc1 = b
                let paired = outW &- ow > 8
                for ki in 0..<kh {
                    let row = x + ki &* tapRowStep
                    let wrow = w + ki &* kw
                    for kj in 0..<kw {
                        let weight = SIMD8<Float>(repeating: wrow[kj])
                        let at = row + kj &* dw
                        acc0 += weight * PaddedPlane.load8(at, stride: stride)
                        if paired { acc1 += weight * PaddedPlane.load8(at + pairStep, stride: stride) }
                    }
                }
                PaddedPlane.store(epilogue(acc0), at: orow + ow, valid: outW &- ow, end: end)
                if paired {
                    PaddedPlane.store(epilogue(acc1), at: orow + (ow &+ 8), valid: outW &- ow &- 8, end: end)
                    ow &+= 16
                } else {
                    ow &+= 8
                }
            }
        }
    }
}
