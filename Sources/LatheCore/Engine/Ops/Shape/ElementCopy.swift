/// Moving elements without looking at them, for the data-movement ops
/// (Transpose, Slice, Concat, Split, Gather, Expand): one generic routine
/// serves float and integer storage alike.
extension Tensor {
    /// A tensor of the same dtype whose elements are `transform` of this
    /// tensor's elements, whichever storage holds them.
    func rearranged(shape: [Int], float: ([Float]) -> [Float], int: ([Int64]) -> [Int64]) -> Tensor {
        if isFloat { return Tensor(shape: shape, floats: float(floats), dtype: dtype) }
        return Tensor(shape: shape, ints: int(ints), dtype: dtype)
    }
}

enum ElementCopy {
    /// Reads `src` at `offset + Σ index[i]·strides[i]` for every index of
    /// `shape` in row-major order. Strides may be zero or negative.
    static func strided<T>(_ src: [T], offset: Int, shape: [Int], strides: [Int]) -> [T] {
        let n = shape.reduce(1, *)
        if n == 0 { return [] }
        if shape.isEmpty { return [src[offset]] }
        return [T](unsafeUninitializedCapacity: n) { out, count in
            src.withUnsafeBufferPointer { p in
                let o = out.baseAddress!
                let last = shape.count - 1
                let inner = shape[last], innerStride = strides[last]
                var index = [Int](repeating: 0, count: last)
                var base = offset
                var written = 0
                while true {
                    if innerStride == 1 {
                        for j in 0..<inner { (o + written + j).initialize(to: p[base + j]) }
                    } else {
                        for j in 0..<inner { (o + written + j).initialize(to: p[base + j * innerStride]) }
                    }
                    written += inner
                    var axis = last - 1
                    while axis >= 0 {
                        index[axis] += 1
                        base += strides[axis]
                        if index[axis] < shape[axis] { break }
                        base -= strides[axis] * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                    if axis < 0 { break }
                }
            }
            count = n
        }
    }
}
