import Foundation

/// Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at
/// `axis` (default 1) and normalised over each row; from 13 on, normalised
/// along `axis` alone (default −1). Both subtract the maximum first so large
/// logits do not overflow.
enum Softmax {
    /// `perAxis`: the opset-13 form; false coerces to 2-D (opsets 1–12).
    static func softmax(perAxis: Bool) -> Kernel {
        { node, inputs in [try normalize(node, inputs, log: false, perAxis: perAxis)] }
    }

    static func logSoftmax(perAxis: Bool) -> Kernel {
        { node, inputs in [try normalize(node, inputs, log: true, perAxis: perAxis)] }
    }

    static func normalize(_ node: Node, _ inputs: [Tensor?], log: Bool, perAxis: Bool) throws -> Tensor {
        let x = try node.input(0, of: inputs, "input")
        guard x.isFloat else { throw node.kernelError("expects a floating-point input, got \(x.dtype.rawValue)") }
        let rank = x.rank
        // (outer, length, inner): rows of `length` values `inner` apart.
        let outer: Int, length: Int, inner: Int
        if rank == 0 {
            (outer, length, inner) = (1, 1, 1)
        } else if perAxis {
            let axis = try node.normalizedAxis(node.int("axis", default: -1), rank: rank)
            outer = x.shape[..<axis].reduce(1, *)
            length = x.shape[axis]
            inner = x.shape[(axis + 1)...].reduce(1, *)
        } else {
            let axis = try node.normalizedAxis(node.int("axis", default: 1), rank: rank)
            outer = x.shape[..<axis].reduce(1, *)
            length = x.shape[axis...].reduce(1, *)
            inner = 1
        }
        var out = [Float](repeating: 0, count: x.count)
        x.floats.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for o in 0..<outer {
                    for i in 0..<inner {
                        let base = o * length * inner + i
                        var maximum = -Float.infinity
                        for k in 0..<length { maximum = Swift.max(maximum, src[base + k * inner]) }
                        var sum: Float = 0
                        for k in 0..<length {
                            let e = FastExp.exp(src[base + k * inner] - maximum)
                            dst[base + k * inner] = e
                            sum += e
                        }
                        if log {
                            let logSum = Foundation.log(sum)
                            for k in 0..<length { dst[base + k * inner] = src[base + k * inner] - maximum - logSum }
                        } else {
                            let scale = 1 / sum
                            for k in 0..<length { dst[base + k * inner] *= scale }
                        }
                    }
                }
            }
        }
        return .floating(shape: x.shape, out, dtype: x.dtype)
    }
}
