/// TopK: the `k` largest (or, with `largest = 0`, smallest) elements of each
/// slice along `axis`, with their int64 indices. `k` is an attribute before
/// opset 10 and input K from 10 on (`inputForm`); `largest` and `sorted`
/// arrive at 11 and default to the old behaviour.
///
/// The order is onnxruntime's: equal values keep the lower index first, and
/// NaN counts as greater than every number (first among the largest, never
/// picked among the smallest before a number). `sorted = 0` leaves the order
/// unspecified; Lathe returns the sorted order, which is one valid answer.
enum TopK {
    static func kernel(inputForm: Bool) -> Kernel { { node, inputs in
        let x = try node.input(0, of: inputs, "X")
        guard x.rank >= 1 else { throw node.kernelError("input X is a scalar; rank 1 or more is needed") }
        let axis = try node.normalizedAxis(node.int("axis", default: -1), rank: x.rank)
        let k = try requestedCount(node, inputs, inputForm: inputForm)
        let length = x.shape[axis]
        guard k >= 0, k <= length else {
            throw node.kernelError("k = \(k) is out of range for axis \(axis) of length \(length) "
                                   + "(input shape \(shapeText(x.shape)))")
        }
        let largest = node.int("largest", default: 1) != 0
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        var shape = x.shape
        shape[axis] = k
        let picks: [Int]
        if x.isFloat {
            picks = select(x.floats, outer: outer, length: length, inner: inner, k: k,
                           greater: { $0.isNaN ? !$1.isNaN : (!$1.isNaN && $0 > $1) }, largest: largest)
        } else if x.dtype == .uint64 {
            // uint64 is held as its bit pattern: compare it unsigned.
            picks = select(x.ints.map { UInt64(bitPattern: $0) }, outer: outer, length: length, inner: inner, k: k,
                           greater: { $0 > $1 }, largest: largest)
        } else {
            picks = select(x.ints, outer: outer, length: length, inner: inner, k: k,
                           greater: { $0 > $1 }, largest: largest)
        }
        let values = x.rearranged(shape: shape, float: { gather($0, picks) }, int: { gather($0, picks) })
        // Back from each flat source offset to its index along the axis.
        let indices = picks.map { Int64(($0 / inner) % length) }
        return [values, Tensor(shape: shape, ints: indices)]
    } }

    /// k from the attribute (opsets 1–9) or from input K, a one-element integer tensor.
    static func requestedCount(_ node: Node, _ inputs: [Tensor?], inputForm: Bool) throws -> Int {
        guard inputForm else {
            guard let k = node.int("k") else { throw node.kernelError("attribute k is missing") }
            return k
        }
        let kTensor = try node.singleElement(try node.input(1, of: inputs, "K"), "K")
        return try node.integerList(kTensor, "K")[0]
    }

    static func gather<T>(_ values: [T], _ offsets: [Int]) -> [T] { offsets.map { values[$0] } }

    /// For every (outer, inner) slice, the flat offsets of its `k` best
    /// elements, laid out like the output (axis of length k in place).
    static func select<T>(_ values: [T], outer: Int, length: Int, inner: Int, k: Int,
                          greater: (T, T) -> Bool, largest: Bool) -> [Int] {
        var out = [Int](repeating: 0, count: outer * k * inner)
        guard k > 0 else { return out }
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                // A strict total order on positions along the axis: better value, then lower index.
                let best = bestPositions(length: length, k: k) { p, q in
                    let a = values[base + p * inner], b = values[base + q * inner]
                    if largest ? greater(a, b) : greater(b, a) { return true }
                    if largest ? greater(b, a) : greater(a, b) { return false }
                    return p < q
                }
                let to = o * k * inner + i
                for (rank, p) in best.enumerated() { out[to + rank * inner] = base + p * inner }
            }
        }
        return out
    }

    /// The `k` first positions of `0..<length` under the strict total order
    /// `before`, in that order: a bounded heap whose root is the worst kept
    /// position, so the cost is O(length · log k) rather than a full sort.
    static func bestPositions(length: Int, k: Int, before: (Int, Int) -> Bool) -> [Int] {
        var heap: [Int] = []
        heap.reserveCapacity(k)
        func siftUp(_ start: Int) {
            var child = start
            while child > 0 {
                let parent = (child - 1) / 2
                guard before(heap[parent], heap[child]) else { return }
                heap.swapAt(parent, child)
                child = parent
            }
        }
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                var worst = parent
                let left = 2 * parent + 1, right = left + 1
                if left < heap.count && before(heap[worst], heap[left]) { worst = left }
                if right < heap.count && before(heap[worst], heap[right]) { worst = right }
                if worst == parent { return }
                heap.swapAt(parent, worst)
                parent = worst
            }
        }
        for p in 0..<length {
            if heap.count < k {
                heap.append(p)
                siftUp(heap.count - 1)
            } else if before(p, heap[0]) {
                heap[0] = p
                siftDown(0)
            }
        }
        return heap.sorted(by: before)
    }
}
