/// GatherElements and ScatterElements: each element of `indices` names one
/// element of `data`, at its own position except along `axis`, where the
/// index's value is taken. Decoders use them to read and write one entry per
/// row (a beam's chosen token, a table decoder's step).
enum ElementIndexing {
    /// GatherElements: `data` at each index; the output has the indices' shape.
    static let gatherElements: Kernel = { node, inputs in
        let data = try node.input(0, of: inputs, "data")
        let indexTensor = try node.input(1, of: inputs, "indices")
        let axis = try node.normalizedAxis(node.int("axis", default: 0), rank: data.rank)
        let offsets = try offsets(node, indexTensor, into: data.shape, axis: axis)
        return [data.rearranged(shape: indexTensor.shape,
                                float: { values in offsets.map { values[$0] } },
                                int: { values in offsets.map { values[$0] } })]
    }

    /// ScatterElements (and opset 9's Scatter): `data` with the entry at each index replaced by the update at
    /// the index's position, or combined with it by `reduction` (add, mul from opset 16; max, min from 18).
    /// Repeated indices apply in order, so without a reduction the last update wins, as in onnxruntime.
    static let scatterElements: Kernel = { node, inputs in
        let data = try node.input(0, of: inputs, "data")
        let indexTensor = try node.input(1, of: inputs, "indices")
        let updates = try node.input(2, of: inputs, "updates")
        guard updates.shape == indexTensor.shape else {
            throw node.kernelError("updates have shape \(updates.shape); the indices' shape \(indexTensor.shape) is needed")
        }
        guard updates.dtype == data.dtype else {
            throw node.kernelError("updates have type \(updates.dtype.rawValue), data \(data.dtype.rawValue)")
        }
        let axis = try node.normalizedAxis(node.int("axis", default: 0), rank: data.rank)
        let offsets = try offsets(node, indexTensor, into: data.shape, axis: axis)
        if data.isFloat {
            return [.floating(shape: data.shape, scatter(data.floats, updates.floats, offsets,
                                                         try ScatterReduction.float(node)), dtype: data.dtype)]
        }
        return [.integer(shape: data.shape, scatter(data.ints, updates.ints, offsets,
                                                    try ScatterReduction.integer(node, dtype: data.dtype)),
                         dtype: data.dtype)]
    }

    /// `data` with each update written at its offset, or combined with what is there (`ScatterReduction`).
    static func scatter<T>(_ data: [T], _ updates: [T], _ offsets: [Int], _ combine: ((T, T) -> T)?) -> [T] {
        var out = data
        for (update, offset) in zip(updates, offsets) { out[offset] = combine.map { $0(out[offset], update) } ?? update }
        return out
    }

    /// The flat offset into a tensor of shape `dataShape` that each element of `indexTensor` (row-major) names.
    /// The indices have the data's rank and no axis longer than the data's, except `axis`; their values lie in
    /// [-d, d) for d the data's size along `axis` (negative ones count from the end).
    static func offsets(_ node: Node, _ indexTensor: Tensor, into dataShape: [Int], axis: Int) throws -> [Int] {
        let shape = indexTensor.shape
        guard shape.count == dataShape.count else {
            throw node.kernelError("indices have rank \(shape.count) (shape \(shape)); the data's rank "
                                   + "\(dataShape.count) (shape \(dataShape)) is needed")
        }
        for a in shape.indices where a != axis && shape[a] > dataShape[a] {
            throw node.kernelError("indices shape \(shape) is larger than data shape \(dataShape) on axis \(a)")
        }
        let indices = try node.integerList(indexTensor, "indices")
        if indices.isEmpty { return [] }
        let strides = rowMajorStrides(dataShape)
        let dim = dataShape[axis], step = strides[axis]
        var offsets: [Int] = []
        offsets.reserveCapacity(indices.count)
        // An odometer over the indices' positions; `base` is the offset of the position without its axis part.
        var position = [Int](repeating: 0, count: shape.count)
        var base = 0
        for index in indices {
            guard index >= -dim, index < dim else {
                throw node.kernelError("index \(index) is out of range for axis \(axis) of data shape \(dataShape)")
            }
            offsets.append(base + (index < 0 ? index + dim : index) * step)
            var a = shape.count - 1
            while a >= 0 {
                position[a] += 1
                if a != axis { base += strides[a] }
                if position[a] < shape[a] { break }
                if a != axis { base -= strides[a] * shape[a] }
                position[a] = 0
                a -= 1
            }
        }
        return offsets
    }
}
