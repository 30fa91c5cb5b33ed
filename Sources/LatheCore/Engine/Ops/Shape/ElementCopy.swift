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
                shape.withUnsafeBufferPointer { dims in
                    strides.withUnsafeBufferPointer { steps in
                        // n > 0 elements are read, so neither buffer is empty.
                        guard let o = out.baseAddress, let s = p.baseAddress,
                              let d = dims.baseAddress, let t = steps.baseAddress else { return }
                        copy(from: s + offset, to: o, rank: shape.count, shape: d, strides: t)
                        count = n
                    }
                }
            }
        }
    }

    /// The two innermost axes are plain loops (a Transpose's rows of a head,
    /// a slice's rows); an odometer steps the axes outside them. Pointer
    /// arithmetic wraps instead of trapping: every address was checked
    /// against the source's shape by the caller.
    @inline(never)
    private static func copy<T>(from src: UnsafePointer<T>, to dst: UnsafeMutablePointer<T>, rank: Int,
                                shape: UnsafePointer<Int>, strides: UnsafePointer<Int>) {
        let last = rank &- 1
        let inner = shape[last], innerStride = strides[last]
        let rows = rank > 1 ? shape[last &- 1] : 1, rowStride = rank > 1 ? strides[last &- 1] : 0
        let outer = rank &- 2   // axes stepped by the odometer
        // One pass over the two innermost axes, starting `base` elements into `src`.
        var written = 0
        func pass(_ base: Int) {
            var row = src + base
            for _ in 0..<rows {
                let to = dst + written
                if innerStride == 1 {
                    for j in 0..<inner { (to + j).initialize(to: row[j]) }
                } else {
                    for j in 0..<inner { (to + j).initialize(to: row[j &* innerStride]) }
                }
                written &+= inner
                row += rowStride
            }
        }
        guard outer > 0 else { return pass(0) }
        var index = [Int](repeating: 0, count: outer)
        var base = 0
        while true {
            pass(base)
            var axis = outer &- 1
            while axis >= 0 {
                index[axis] &+= 1
                base &+= strides[axis]
                if index[axis] < shape[axis] { break }
                base &-= strides[axis] &* shape[axis]
                index[axis] = 0
                axis &-= 1
            }
            if axis < 0 { return }
        }
    }
}
