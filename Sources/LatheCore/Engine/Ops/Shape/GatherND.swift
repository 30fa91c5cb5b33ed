/// GatherND: slices of `data` picked by index tuples, the last axis of
/// `indices` (int64). The first `batch_dims` axes of both are matched as a
/// batch; each tuple of m indices (possibly negative) selects the slice
/// data[batch][i1]...[im] of shape data.shape[batch_dims + m...]. The output
/// has shape indices.shape[..<-1] + that slice shape.
enum GatherND {
    static let gatherND: Kernel = { node, inputs in
        let data = try node.input(0, of: inputs, "data")
        let indexTensor = try node.input(1, of: inputs, "indices")
        let batchDims = node.int("batch_dims", default: 0)
        let layout = try NDIndexing(node, data: data.shape, indices: indexTensor, batchDims: batchDims)
        let shape = Array(indexTensor.shape.dropLast()) + Array(data.shape[(batchDims + layout.depth)...])
        let offsets = try layout.sliceOffsets(node, indexTensor)
        let slice = layout.sliceSize
        func pick<T>(_ values: [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(offsets.count * slice)
            for from in offsets { out.append(contentsOf: values[from..<(from + slice)]) }
            return out
        }
        return [data.rearranged(shape: try node.checkedOutputShape(shape), float: pick, int: pick)]
    }
}

/// The index arithmetic GatherND and ScatterND share: where each index tuple
/// (the last axis of `indices`) starts in the data, in elements.
struct NDIndexing {
    /// Axes each tuple indexes (the last dim of indices).
    var depth: Int
    /// Elements of the slice one tuple selects.
    var sliceSize: Int
    var dataShape: [Int]
    var batchDims: Int

    init(_ node: Node, data: [Int], indices: Tensor, batchDims: Int) throws {
        guard !indices.isFloat else { throw node.kernelError("indices must be an integer tensor, got \(indices.dtype.rawValue)") }
        guard indices.rank >= 1, let depth = indices.shape.last else {
            throw node.kernelError("indices is a scalar; rank 1 or more is needed")
        }
        guard batchDims >= 0, batchDims < min(data.count, indices.rank) else {
            throw node.kernelError("batch_dims \(batchDims) must be below the ranks of data \(shapeText(data)) and "
                                   + "indices \(shapeText(indices.shape))")
        }
        guard Array(data[..<batchDims]) == Array(indices.shape[..<batchDims]) else {
            throw node.kernelError("batch_dims \(batchDims): the first \(batchDims) dims of data \(shapeText(data)) and indices "
                                   + "\(shapeText(indices.shape)) differ")
        }
        guard depth >= 1, depth <= data.count - batchDims else {
            throw node.kernelError("index tuples of length \(depth) (indices \(shapeText(indices.shape))) do not fit "
                                   + "data \(shapeText(data)) with batch_dims \(batchDims)")
        }
        self.depth = depth
        self.sliceSize = data[(batchDims + depth)...].reduce(1, *)
        self.dataShape = data
        self.batchDims = batchDims
    }

    /// The element offset in the data of every tuple's slice, in the order of the tuples.
    func sliceOffsets(_ node: Node, _ indices: Tensor) throws -> [Int] {
        let tuples = indices.count / depth
        let batches = dataShape[..<batchDims].reduce(1, *)
        let tuplesPerBatch = batches == 0 ? 0 : tuples / batches
        let batchStride = dataShape[batchDims...].reduce(1, *)
        let indexed = Array(dataShape[batchDims..<(batchDims + depth)])
        let strides = rowMajorStrides(indexed).map { $0 * sliceSize }
        var offsets = [Int](repeating: 0, count: tuples)
        let values = indices.ints
        for t in 0..<tuples {
            var offset = (t / max(tuplesPerBatch, 1)) * batchStride
            for j in 0..<depth {
                let dim = indexed[j]
                var index = Int(values[t * depth + j])
                guard index >= -dim, index < dim else {
                    throw node.kernelError("index \(index) is out of range for axis \(batchDims + j) of data "
                                           + "\(shapeText(dataShape))")
                }
                if index < 0 { index += dim }
                offset += index * strides[j]
            }
            offsets[t] = offset
        }
        return offsets
    }
}
