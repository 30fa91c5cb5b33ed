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

extension Tensor {
    /// This samples-first tensor with its first axis moved to `axis` (the inverse of `batchFirst`).
    func batchPlaced(at axis: Int) -> Tensor {
        guard axis > 0, axis < rank, let rows = shape.first else { return self }
        var placed = Array(shape.dropFirst())
        placed.insert(rows, at: axis)
        let copier = BatchAxisCopy(shape: placed, axis: axis)
        let per = count / Swift.max(rows, 1)
        func place<T>(_ source: [T], zero: T) -> [T] {
            var result = [T](repeating: zero, count: source.count)
            for row in 0..<rows {
                // Row `row` is contiguous samples first; spread it over the outer blocks of the target.
                let block = Array(source[(row * per)..<((row + 1) * per)])
                copier.copy(row: 0, of: block, sourceRows: 1, to: row, of: &result, targetRows: rows)
            }
            return result
        }
        return isFloat ? Tensor(shape: placed, floats: place(floats, zero: 0), dtype: dtype)
            : Tensor(shape: placed, ints: place(ints, zero: 0), dtype: dtype)
    }

    /// The rows `range` along `axis` (the other axes whole).
    func rows(_ range: Range<Int>, alongAxis axis: Int) -> Tensor {
        guard axis < rank, range != 0..<shape[axis] else { return self }
        var cut = shape
        cut[axis] = range.count
        let copier = BatchAxisCopy(shape: shape, axis: axis)
        func take<T>(_ source: [T], zero: T) -> [T] {
            var result = [T](repeating: zero, count: cut.reduce(1, *))
            for (target, row) in range.enumerated() {
                copier.copy(row: row, of: source, sourceRows: shape[axis], to: target, of: &result,
                            targetRows: range.count)
            }
            return result
        }
        return isFloat ? Tensor(shape: cut, floats: take(floats, zero: 0), dtype: dtype)
            : Tensor(shape: cut, ints: take(ints, zero: 0), dtype: dtype)
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
