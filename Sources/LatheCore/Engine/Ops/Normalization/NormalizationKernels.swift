import Foundation

/// ONNX BatchNormalization in inference form and LayerNormalization.
enum NormalizationKernels {
    /// `Y = (X − mean) / √(var + ε) · scale + B` per channel (axis 1), folded
    /// into one multiply-add per element. Training mode is refused. Opset 7's
    /// `spatial = 0` form (statistics per channel and position) is accepted
    /// when the statistics have C × spatial elements. Optional outputs 2 and
    /// 3 (running mean and variance) are passed through unchanged, which is
    /// what inference leaves them as.
    static func batchNormalization(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "X")
        let scale = try node.floatInput(inputs, 1, "scale")
        let bias = try node.floatInput(inputs, 2, "B")
        let mean = try node.floatInput(inputs, 3, "input_mean")
        let variance = try node.floatInput(inputs, 4, "input_var")
        if node.int("training_mode", default: 0) != 0 {
            throw node.kernelError("training_mode = 1 is not supported; Lathe runs models for inference")
        }
        if node.outputs.count > 3 {
            throw node.kernelError("saved_mean / saved_var outputs are training-only and not supported")
        }
        guard x.rank >= 2 else {
            throw node.kernelError("input X has shape \(shapeText(x.shape)); rank 2 or more (N, C, ...) is needed")
        }
        let channels = x.shape[1]
        let spatial = x.shape[2...].reduce(1, *)
        let statCount = scale.count
        guard statCount == channels || statCount == channels * spatial else {
            throw node.kernelError("scale has \(statCount) values but X \(shapeText(x.shape)) has \(channels) channels")
        }
        for (role, t) in [("B", bias), ("input_mean", mean), ("input_var", variance)] where t.count != statCount {
            throw node.kernelError("\(role) has \(t.count) values; \(statCount) expected like scale")
        }
        let epsilon = node.float("epsilon", default: 1e-5)
        // y = x · a + c with a = scale / √(var + ε), c = B − mean · a.
        var multiplier = [Float](repeating: 0, count: statCount)
        var offset = [Float](repeating: 0, count: statCount)
        for i in 0..<statCount {
            let a = scale.floats[i] / (variance.floats[i] + epsilon).squareRoot()
            multiplier[i] = a
            offset[i] = bias.floats[i] - mean.floats[i] * a
        }
        let perPosition = statCount != channels
        let planes = x.shape[0] * channels
        let values = x.floats.withUnsafeBufferPointer { xBuf in
            uninitializedFloats(x.count) { yBuf in
                guard let xp = xBuf.baseAddress, let yp = yBuf.baseAddress else { return }
                multiplier.withUnsafeBufferPointer { aBuf in
                    offset.withUnsafeBufferPointer { cBuf in
                        for plane in 0..<planes {
                            let c = plane % channels
                            let src = xp + plane * spatial, dst = yp + plane * spatial
                            if perPosition {
                                let base = c * spatial
                                for i in 0..<spatial { dst[i] = src[i] * aBuf[base + i] + cBuf[base + i] }
                            } else {
                                let a = aBuf[c], b = cBuf[c]
                                for i in 0..<spatial { dst[i] = src[i] * a + b }
                            }
                        }
                    }
                }
            }
        }
        var outputs = [Tensor(shape: x.shape, floats: values, dtype: x.dtype)]
        if node.outputs.count >= 2 { outputs.append(mean) }
        if node.outputs.count >= 3 { outputs.append(variance) }
        return outputs
    }

    /// LayerNormalization (opset 17): normalise over the axes from `axis` on,
    /// then `· scale + B` (both broadcast to those axes). Mean and InvStdDev
    /// outputs, shaped like X with the normalised axes set to 1, are produced
    /// when the node asks for them. Statistics are accumulated in Double.
    static func layerNormalization(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "X")
        let scale = try node.floatInput(inputs, 1, "Scale")
        let bias = node.optionalInput(inputs, 2)
        var axis = node.int("axis", default: -1)
        if axis < 0 { axis += x.rank }
        guard x.rank >= 1, axis >= 0, axis < x.rank else {
            throw node.kernelError("axis \(node.int("axis", default: -1)) is out of range for input \(shapeText(x.shape))")
        }
        let epsilon = node.float("epsilon", default: 1e-5)
        let normShape = Array(x.shape[axis...])
        let width = normShape.reduce(1, *)
        let rows = x.shape[..<axis].reduce(1, *)
        let gamma = try expand(scale, to: normShape, role: "Scale", node: node)
        let beta = try bias.map { b -> [Float] in
            guard b.isFloat else { throw node.kernelError("B has type \(b.dtype.rawValue); a floating-point type is needed") }
            return try expand(b, to: normShape, role: "B", node: node)
        }
        var means = [Float](repeating: 0, count: rows)
        var invStd = [Float](repeating: 0, count: rows)
        let values = x.floats.withUnsafeBufferPointer { xBuf in
            uninitializedFloats(x.count) { yBuf in
                guard let xp = xBuf.baseAddress, let yp = yBuf.baseAddress, width > 0 else { return }
                gamma.withUnsafeBufferPointer { gBuf in
                    (beta ?? []).withUnsafeBufferPointer { bBuf in
                        means.withUnsafeMutableBufferPointer { mBuf in
                            invStd.withUnsafeMutableBufferPointer { sBuf in
                                guard let g = gBuf.baseAddress, let m = mBuf.baseAddress,
                                      let s = sBuf.baseAddress else { return }
                                layerNormRows(xp, yp, rows: rows, width: width, epsilon: Double(epsilon),
                                              gamma: g, beta: beta == nil ? nil : bBuf.baseAddress,
                                              means: m, invStd: s)
                            }
                        }
                    }
                }
            }
        }
        var outputs = [Tensor(shape: x.shape, floats: values, dtype: x.dtype)]
        let statShape = Array(x.shape[..<axis]) + [Int](repeating: 1, count: x.rank - axis)
        if node.outputs.count >= 2 { outputs.append(Tensor(shape: statShape, floats: means)) }
        if node.outputs.count >= 3 { outputs.append(Tensor(shape: statShape, floats: invStd)) }
        return outputs
    }

    /// Each row of `width` values normalised by its own mean and variance
    /// (accumulated in Double), then scaled and shifted. Pointer loops, so the
    /// affine pass vectorises and carries no checked index arithmetic. The
    /// sums run over four interleaved partial sums, which breaks the
    /// one-add-at-a-time dependency chain; in Double the changed order moves
    /// the sums by rounding far below what the Float mean and scale resolve.
    @inline(never)
    static func layerNormRows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                              epsilon: Double, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>?,
                              means: UnsafeMutablePointer<Float>, invStd: UnsafeMutablePointer<Float>) {
        let quads = width & ~3
        for r in 0..<rows {
            let src = x + r &* width, dst = y + r &* width
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var i = 0
            while i < quads {
                s0 += Double(src[i]); s1 += Double(src[i &+ 1])
                s2 += Double(src[i &+ 2]); s3 += Double(src[i &+ 3])
                i &+= 4
            }
            while i < width {
                s0 += Double(src[i])
                i &+= 1
            }
            let mean = ((s0 + s1) + (s2 + s3)) / Double(width)
            var q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0
            i = 0
            while i < quads {
                let d0 = Double(src[i]) - mean, d1 = Double(src[i &+ 1]) - mean
                let d2 = Double(src[i &+ 2]) - mean, d3 = Double(src[i &+ 3]) - mean
                q0 += d0 * d0; q1 += d1 * d1; q2 += d2 * d2; q3 += d3 * d3
                i &+= 4
            }
            while i < width {
                let d = Double(src[i]) - mean
                q0 += d * d
                i &+= 1
            }
            let squares = (q0 + q1) + (q2 + q3)
            let inv = 1 / (squares / Double(width) + epsilon).squareRoot()
            let m = Float(mean), s = Float(inv)
            means[r] = m
            invStd[r] = s
            if let beta {
                for j in 0..<width { dst[j] = (src[j] - m) * s * gamma[j] + beta[j] }
            } else {
                for j in 0..<width { dst[j] = (src[j] - m) * s * gamma[j] }
            }
        }
    }

    /// `t` broadcast (numpy, unidirectionally) to `shape`, materialised.
    private static func expand(_ t: Tensor, to shape: [Int], role: String, node: Node) throws -> [Float] {
        let count = shape.reduce(1, *)
        guard GemmKernel.broadcastable(t.shape, to: shape) else {
            throw node.kernelError("\(role) \(shapeText(t.shape)) does not broadcast to the normalised shape \(shapeText(shape))")
        }
        // Same element count: only leading unit axes differ, the layout is the same.
        if t.count == count { return t.floats }
        let padded = [Int](repeating: 1, count: shape.count - t.rank) + t.shape
        let ownStrides = rowMajorStrides(padded)
        var out = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<count {
            var offset = 0
            for a in 0..<shape.count where padded[a] != 1 { offset += index[a] * ownStrides[a] }
            out[i] = t.floats[offset]
            var a = shape.count - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < shape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        return out
    }
}
