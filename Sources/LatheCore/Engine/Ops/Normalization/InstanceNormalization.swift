/// InstanceNormalization: each (sample, channel) plane of X (N, C, D1, ...)
/// normalised by its own mean and variance, then `· scale[c] + B[c]`.
/// Statistics are accumulated in Double, as LayerNormalization's are; the
/// per-element step is onnxruntime's, in Float.
enum InstanceNormalization {
    static let kernel: Kernel = { node, inputs in
        let x = try node.floatInput(inputs, 0, "input")
        let scale = try node.floatInput(inputs, 1, "scale")
        let bias = try node.floatInput(inputs, 2, "B")
        guard x.rank >= 3 else {
            throw node.kernelError("input has shape \(shapeText(x.shape)); rank 3 or more (N, C, D1, ...) is needed")
        }
        let channels = x.shape[1]
        for (role, t) in [("scale", scale), ("B", bias)] where t.rank != 1 || t.count != channels {
            throw node.kernelError("\(role) has shape \(shapeText(t.shape)); [\(channels)] expected for input "
                                   + "\(shapeText(x.shape))")
        }
        let epsilon = Double(node.float("epsilon", default: 1e-5))
        let spatial = x.shape[2...].reduce(1, *)
        let planes = x.shape[0] * channels
        var out = [Float](repeating: 0, count: x.count)
        if spatial > 0 {
            x.floats.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for plane in 0..<planes {
                        let base = plane * spatial
                        var sum = 0.0
                        for i in 0..<spatial { sum += Double(src[base + i]) }
                        let mean = sum / Double(spatial)
                        var squares = 0.0
                        for i in 0..<spatial {
                            let d = Double(src[base + i]) - mean
                            squares += d * d
                        }
                        // The affine step in Float, folded as onnxruntime folds it (x · a + (B − mean · a)):
                        // a plane of equal values then rounds to what onnxruntime returns, not exactly B.
                        let c = plane % channels
                        let a = Float(Double(scale.floats[c]) / (squares / Double(spatial) + epsilon).squareRoot())
                        let b = bias.floats[c] - Float(mean) * a
                        for i in 0..<spatial { dst[base + i] = src[base + i] * a + b }
                    }
                }
            }
        }
        return [.floating(shape: x.shape, out, dtype: x.dtype)]
    }
}
