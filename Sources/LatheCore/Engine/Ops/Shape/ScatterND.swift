/// ScatterND: a copy of `data` in which the slices addressed by the index
/// tuples of `indices` (int64, last axis) are replaced by, or from opset 16
/// combined with (`reduction` add, mul, and from 18 max, min), the matching
/// slices of `updates` (shape indices.shape[..<-1] + data.shape[k...]).
/// Updates apply in order, so with repeated tuples the last write wins, as
/// in onnxruntime (the spec leaves that case undefined for `none`).
enum ScatterND {
    static let scatterND: Kernel = { node, inputs in
        let data = try node.input(0, of: inputs, "data")
        let indexTensor = try node.input(1, of: inputs, "indices")
        let updates = try node.input(2, of: inputs, "updates")
        let layout = try NDIndexing(node, data: data.shape, indices: indexTensor, batchDims: 0)
        let expected = Array(indexTensor.shape.dropLast()) + Array(data.shape[layout.depth...])
        guard updates.shape == expected else {
            throw node.kernelError("updates have shape \(shapeText(updates.shape)); \(shapeText(expected)) expected "
                                   + "for data \(shapeText(data.shape)) and indices \(shapeText(indexTensor.shape))")
        }
        guard updates.isFloat == data.isFloat else {
            throw node.kernelError("updates have type \(updates.dtype.rawValue) but data has \(data.dtype.rawValue)")
        }
        let offsets = try layout.sliceOffsets(node, indexTensor)
        let slice = layout.sliceSize
        func scatter<T>(_ values: [T], _ news: [T], _ combine: ((T, T) -> T)?) -> [T] {
            var out = values
            for (t, to) in offsets.enumerated() {
                for e in 0..<slice {
                    let update = news[t * slice + e]
                    out[to + e] = combine.map { $0(out[to + e], update) } ?? update
                }
            }
            return out
        }
        if data.isFloat {
            return [.floating(shape: data.shape, scatter(data.floats, updates.floats, try ScatterReduction.float(node)),
                              dtype: data.dtype)]
        }
        return [.integer(shape: data.shape, scatter(data.ints, updates.ints,
                                                    try ScatterReduction.integer(node, dtype: data.dtype)),
                         dtype: data.dtype)]
    }
}
