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
        let out = x.floats.withUnsafeBufferPointer { src in
            uninitializedFloats(x.count) { dst in
                guard let sp = src.baseAddress, let dp = dst.baseAddress, length > 0 else { return }
                if inner == 1 {
                    contiguousRows(sp, dp, rows: outer, length: length, log: log)
                } else {
                    stridedRows(sp, dp, outer: outer, length: length, inner: inner, log: log)
                }
            }
        }
        return .floating(shape: x.shape, out, dtype: x.dtype)
    }

    /// Rows of `length` adjacent values (the usual last-axis softmax). The
    /// exponentials go to `dst` first and are summed in a second pass, so the
    /// exp loop vectorises while the sum keeps its order.
    @inline(never)
    static func contiguousRows(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                               rows: Int, length: Int, log: Bool) {
        for r in 0..<rows {
            let x = src + r &* length, y = dst + r &* length
            var maximum = -Float.infinity
            for k in 0..<length { maximum = Swift.max(maximum, x[k]) }
            for k in 0..<length { y[k] = FastExp.exp(x[k] - maximum) }
            var sum: Float = 0
            for k in 0..<length { sum += y[k] }
            if log {
                let logSum = Foundation.log(sum)
                for k in 0..<length { y[k] = x[k] - maximum - logSum }
            } else {
                let scale = 1 / sum
                for k in 0..<length { y[k] *= scale }
            }
        }
    }

    /// Rows of `length` values `inner` apart (softmax over an inner axis).
    @inline(never)
    static func stridedRows(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                            outer: Int, length: Int, inner: Int, log: Bool) {
        for o in 0..<outer {
            for i in 0..<inner {
                let x = src + (o &* length &* inner &+ i), y = dst + (o &* length &* inner &+ i)
                var maximum = -Float.infinity
                for k in 0..<length { maximum = Swift.max(maximum, x[k &* inner]) }
                var sum: Float = 0
                for k in 0..<length {
                    let e = FastExp.exp(x[k &* inner] - maximum)
                    y[k &* inner] = e
                    sum += e
                }
                if log {
                    let logSum = Foundation.log(sum)
                    for k in 0..<length { y[k &* inner] = x[k &* inner] - maximum - logSum }
                } else {
                    let scale = 1 / sum
                    for k in 0..<length { y[k &* inner] *= scale }
                }
            }
        }
    }
}
