/// Concat and Split: joining tensors along an axis and cutting one apart.
enum ConcatSplit {
    static let concat: Kernel = { node, inputs in
        let parts = inputs.compactMap { $0 }
        guard let first = parts.first else { throw node.kernelError("needs at least one input") }
        guard let axisAttribute = node.int("axis") else { throw node.kernelError("missing required attribute axis") }
        let dtype = try Arithmetic.commonType(node, parts)
        let axis = try node.normalizedAxis(axisAttribute, rank: first.rank)
        for part in parts {
            let matches = part.rank == first.rank
                && (0..<first.rank).allSatisfy { $0 == axis || part.shape[$0] == first.shape[$0] }
            guard matches else {
                throw node.kernelError("cannot concatenate shapes \(parts.map(\.shape)) along axis \(axisAttribute)")
            }
        }
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        let chunks = parts.map { $0.shape[axis] * inner }
        if dtype.isFloatingPoint {
            let floats = join(parts.map(\.floats), chunks: chunks, outer: outer)
            return [.floating(shape: shape, floats, dtype: dtype)]
        }
        return [Tensor(shape: shape, ints: join(parts.map(\.ints), chunks: chunks, outer: outer), dtype: dtype)]
    }

    /// For each of `outer` blocks, the next `chunks[i]` elements of every part.
    static func join<T>(_ parts: [[T]], chunks: [Int], outer: Int) -> [T] {
        var out: [T] = []
        out.reserveCapacity(outer * chunks.reduce(0, +))
        for o in 0..<outer {
            for (part, chunk) in zip(parts, chunks) where chunk > 0 {
                out.append(contentsOf: part[(o * chunk)..<((o + 1) * chunk)])
            }
        }
        return out
    }

    /// Split: sizes from the `split` attribute (< 13) or input (≥ 13, `inputForm`), else
    /// `num_outputs` (opset 18, last chunk smaller), else equal parts, one
    /// per output.
    static func split(inputForm: Bool) -> Kernel { { node, inputs in
        let x = try node.input(0, of: inputs, "input")
        let axis = try node.normalizedAxis(node.int("axis", default: 0), rank: x.rank)
        let length = x.shape[axis]
        var sizes: [Int]?
        if inputForm {
            if inputs.count > 1, let t = inputs[1] { sizes = try node.integerList(t, "split") }
        } else {
            sizes = node.ints("split")
        }
        if sizes == nil, let n = node.int("num_outputs") {
            guard n >= 1, n <= length else {
                throw node.kernelError("num_outputs \(n) cannot split axis \(axis) of shape \(x.shape)")
            }
            let chunk = (length + n - 1) / n
            let last = length - chunk * (n - 1)
            guard last >= 0 else {
                throw node.kernelError("num_outputs \(n) cannot split axis \(axis) of shape \(x.shape) into chunks of \(chunk)")
            }
            sizes = [Int](repeating: chunk, count: n - 1) + [last]
        }
        let outputCount = node.outputs.count
        let splits: [Int]
        if let sizes {
            splits = sizes
        } else {
            guard outputCount > 0, length % outputCount == 0 else {
                throw node.kernelError("cannot split axis \(axis) of shape \(x.shape) into \(outputCount) equal parts")
            }
            splits = [Int](repeating: length / outputCount, count: outputCount)
        }
        guard splits.allSatisfy({ $0 >= 0 }), splits.reduce(0, +) == length else {
            throw node.kernelError("split sizes \(splits) do not add up to axis \(axis) of shape \(x.shape)")
        }
        guard outputCount == 0 || outputCount == splits.count else {
            throw node.kernelError("split sizes \(splits) give \(splits.count) parts but the node has \(outputCount) outputs")
        }
        let outer = x.shape[..<axis].reduce(1, *)
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        var results: [Tensor] = []
        var start = 0
        for size in splits {
            var shape = x.shape
            shape[axis] = size
            let begin = start * inner, chunk = size * inner, stride = length * inner
            results.append(x.rearranged(shape: shape,
                                        float: { cut($0, begin: begin, chunk: chunk, stride: stride, outer: outer) },
                                        int: { cut($0, begin: begin, chunk: chunk, stride: stride, outer: outer) }))
            start += size
        }
        return results
    } }

    /// `chunk` elements from `begin` in each of `outer` blocks `stride` apart.
    static func cut<T>(_ values: [T], begin: Int, chunk: Int, stride: Int, outer: Int) -> [T] {
        var out: [T] = []
        out.reserveCapacity(outer * chunk)
        if chunk == 0 { return out }
        for o in 0..<outer {
            let from = o * stride + begin
            out.append(contentsOf: values[from..<(from + chunk)])
        }
        return out
    }
}
