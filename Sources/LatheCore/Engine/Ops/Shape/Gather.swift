/// Gather: picks entries of `data` along `axis` by (possibly negative)
/// indices; the indices' shape replaces that axis in the output.
enum Gather {
    static let gather: Kernel = { node, inputs in
        let data = try node.input(0, of: inputs, "data")
        let indexTensor = try node.input(1, of: inputs, "indices")
        let axis = try node.normalizedAxis(node.int("axis", default: 0), rank: data.rank)
        let dim = data.shape[axis]
        var indices = try node.integerList(indexTensor, "indices")
        for (i, index) in indices.enumerated() {
            guard index >= -dim, index < dim else {
                throw node.kernelError("index \(index) is out of range for axis \(axis) of data shape \(data.shape) "
                                   + "(indices shape \(indexTensor.shape))")
            }
            if index < 0 { indices[i] = index + dim }
        }
        let shape = Array(data.shape[..<axis]) + indexTensor.shape + Array(data.shape[(axis + 1)...])
        let outer = data.shape[..<axis].reduce(1, *)
        let inner = data.shape[(axis + 1)...].reduce(1, *)
        return [data.rearranged(shape: shape,
                                float: { pick($0, indices, outer: outer, dim: dim, inner: inner) },
                                int: { pick($0, indices, outer: outer, dim: dim, inner: inner) })]
    }

    static func pick<T>(_ values: [T], _ indices: [Int], outer: Int, dim: Int, inner: Int) -> [T] {
        var out: [T] = []
        out.reserveCapacity(outer * indices.count * inner)
        if inner == 0 { return out }
        for o in 0..<outer {
            for index in indices {
                let from = (o * dim + index) * inner
                if inner == 1 {
                    out.append(values[from])
                } else {
                    out.append(contentsOf: values[from..<(from + inner)])
                }
            }
        }
        return out
    }
}
