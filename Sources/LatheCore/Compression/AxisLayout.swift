/// Views a row-major tensor as [outer, length, inner] around one axis, so the
/// elements of one slice along that axis (one output channel, or one line along
/// the reduction axis) can be gathered into a contiguous block and scattered back.
struct AxisLayout: Sendable {
    let outer: Int
    let length: Int
    let inner: Int

    init(shape: [Int], axis: Int) {
        outer = shape[..<axis].reduce(1, *)
        length = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
    }

    var count: Int { outer * length * inner }
    /// Elements in one slice along the axis.
    var sliceSize: Int { outer * inner }

    /// Row-major index of element `j` (in gather order) of slice `c`.
    @inline(__always)
    func index(slice c: Int, element j: Int) -> Int {
        let o = j / inner, i = j - o * inner
        return (o * length + c) * inner + i
    }

    /// Elements reordered so each slice along the axis is contiguous: `[length, outer·inner]`.
    func gather<T>(_ values: [T]) -> [T] {
        if outer == 1 { return values }
        var result = [T]()
        result.reserveCapacity(values.count)
        for c in 0..<length {
            for o in 0..<outer {
                let base = (o * length + c) * inner
                result.append(contentsOf: values[base..<(base + inner)])
            }
        }
        return result
    }

    /// Inverse of `gather`.
    func scatter<T>(_ sliceMajor: [T]) -> [T] {
        if outer == 1 { return sliceMajor }
        var result = sliceMajor
        var k = 0
        for c in 0..<length {
            for o in 0..<outer {
                let base = (o * length + c) * inner
                for i in 0..<inner {
                    result[base + i] = sliceMajor[k]
                    k += 1
                }
            }
        }
        return result
    }
}
