/// Depthwise 3×3 convolution, dilation 1, horizontal stride 1 or 2, for small
/// feature maps: rows of 28, 14 or 7 outputs are too narrow for the general
/// path's interior SIMD loop, which leaves most of the work to scalar border
/// code.
///
/// Each input channel plane is copied once into a zero-padded scratch plane
/// (`PaddedPlane`), so every output — border or not — is the same nine loads
/// and multiply-adds with no tests; outputs go eight at a time in SIMD
/// registers, with the nine weights held in registers. Bias starts the sums
/// and the activation is applied in the register before the store.
enum DepthwiseConv3x3: PaddedPlaneKernel {
    /// Whether this path handles the geometry.
    static func applies(_ g: SpatialGeometry) -> Bool {
        g.kernel[1] == 3 && g.kernel[2] == 3 && g.dilations[1] == 1 && g.dilations[2] == 1
            && (g.strides[2] == 1 || g.strides[2] == 2) && g.strides[1] >= 1
            && g.output[1] > 0 && g.output[2] > 0
    }

    /// One output plane. Index arithmetic wraps (`&+`, `&*`): the plan's
    /// sizes bound every offset, so overflow checks in the innermost loop
    /// would be pure overhead.
    @inline(__always)
    static func plane<Epilogue: LaneEpilogue>(_ padded: UnsafePointer<Float>, weights w: UnsafePointer<Float>,
                                              bias: Float, plan p: PaddedPlane, stride: Int, epilogue: Epilogue,
                                              output: UnsafeMutablePointer<Float>, end: UnsafeMutablePointer<Float>) {
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
                acc += w0 * PaddedPlane.load8(r0 + x, stride: stride)
                acc += w1 * PaddedPlane.load8(r0 + (x &+ 1), stride: stride)
                acc += w2 * PaddedPlane.load8(r0 + (x &+ 2), stride: stride)
                acc += w3 * PaddedPlane.load8(r1 + x, stride: stride)
                acc += w4 * PaddedPlane.load8(r1 + (x &+ 1), stride: stride)
                acc += w5 * PaddedPlane.load8(r1 + (x &+ 2), stride: stride)
                acc += w6 * PaddedPlane.load8(r2 + x, stride: stride)
                acc += w7 * PaddedPlane.load8(r2 + (x &+ 1), stride: stride)
                acc += w8 * PaddedPlane.load8(r2 + (x &+ 2), stride: stride)
                PaddedPlane.store(epilogue(acc), at: orow + ow, valid: outW &- ow, end: end)
                ow &+= 8
            }
        }
    }
}
