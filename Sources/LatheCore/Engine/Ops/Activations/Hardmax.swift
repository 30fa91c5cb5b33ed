/// Hardmax: 1 at the first maximum of each row, 0 elsewhere. Rows are as
/// Softmax's: before opset 13 the input is coerced to 2-D at `axis`
/// (default 1); from 13 on, rows run along `axis` alone (default −1).
enum Hardmax {
    static func kernel(perAxis: Bool) -> Kernel { { node, inputs in
        let x = try node.input(0, of: inputs, "input")
        guard x.isFloat else { throw node.kernelError("expects a floating-point input, got \(x.dtype.rawValue)") }
        guard x.rank >= 1 else { throw node.kernelError("input is a scalar; rank 1 or more is needed") }
        let outer: Int, length: Int, inner: Int
        if perAxis {
            let axis = try node.normalizedAxis(node.int("axis", default: -1), rank: x.rank)
            (outer, length, inner) = (x.shape[..<axis].reduce(1, *), x.shape[axis], x.shape[(axis + 1)...].reduce(1, *))
        } else {
            let axis = try node.normalizedAxis(node.int("axis", default: 1), rank: x.rank)
            (outer, length, inner) = (x.shape[..<axis].reduce(1, *), x.shape[axis...].reduce(1, *), 1)
        }
        var out = [Float](repeating: 0, count: x.count)
        if length > 0 {
            let values = x.floats
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * length * inner + i
                    var best = 0
                    for k in 1..<length where values[base + k * inner] > values[base + best * inner] { best = k }
                    out[base + best * inner] = 1
                }
            }
        }
        return [.floating(shape: x.shape, out, dtype: x.dtype)]
    } }
}
