/// The numpy (multidirectional) broadcast of `shapes`, or nil when they are
/// incompatible. The one definition that shape inference, the elementwise
/// ops, Expand and MatMul's batch axes share, so load-time shapes and
/// run-time results cannot disagree.
func broadcastShape(_ shapes: [[Int]]) -> [Int]? {
    let rank = shapes.map(\.count).max() ?? 0
    var out = [Int](repeating: 1, count: rank)
    for shape in shapes {
        let offset = rank - shape.count
        for (i, d) in shape.enumerated() {
            let current = out[offset + i]
            if current == d || d == 1 { continue }
            if current == 1 { out[offset + i] = d } else { return nil }
        }
    }
    return out
}
