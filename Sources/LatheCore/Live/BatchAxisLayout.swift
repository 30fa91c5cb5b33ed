/// Moving between an output's own layout, whose batch axis may be anywhere
/// (`[T, N, C]`), and the samples-first view scoring needs (`[N, T, C]`).
extension Tensor {
    /// This tensor with `axis` moved to the front (itself when `axis` is 0).
    func batchFirst(axis: Int) -> Tensor {
        guard axis > 0, axis < rank else { return self }
        let outer = shape[..<axis].reduce(1, *)
        let rows = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        var moved = shape
        moved.remove(at: axis)
        moved.insert(rows, at: 0)
        func permute<T>(_ source: [T]) -> [T] {
            var result = [T]()
            result.reserveCapacity(source.count)
            for row in 0..<rows {
                for o in 0..<outer {
                    let start = (o * rows + row) * inner
                    result.append(contentsOf: source[start..<(start + inner)])
                }
            }
            return result
        }
        return isFloat ? Tensor(shape: moved, floats: permute(floats), dtype: dtype)
            : Tensor(shape: moved, ints: permute(ints), dtype: dtype)
    }
}

/// Copies rows along a batch axis from one batch's output into the whole dataset's.
struct BatchAxisCopy {
    /// Product of the dims before the batch axis, and after it.
    let outer: Int
    let inner: Int

    init(shape: [Int], axis: Int) {
        outer = shape[..<axis].reduce(1, *)
        inner = shape[(axis + 1)...].reduce(1, *)
    }

    /// Row `row` of `source` (batch axis `sourceRows` long) into row `target` of `destination` (`targetRows` long).
    func copy<T>(row: Int, of source: [T], sourceRows: Int, to target: Int, of destination: inout [T],
                 targetRows: Int) {
        for o in 0..<outer {
            let from = (o * sourceRows + row) * inner
            let to = (o * targetRows + target) * inner
            destination.replaceSubrange(to..<(to + inner), with: source[from..<(from + inner)])
        }
    }
}
