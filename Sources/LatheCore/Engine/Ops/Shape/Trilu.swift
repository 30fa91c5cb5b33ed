/// Trilu (opset 14): the upper (`upper = 1`, the default) or lower triangle
/// of the last two axes of a tensor of rank 2 or more, other elements set to
/// zero. Input k (a one-element integer tensor, default 0) moves the
/// diagonal: element (i, j) is kept when j − i ≥ k (upper) or j − i ≤ k (lower).
enum Trilu {
    static let trilu: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "input")
        guard x.rank >= 2 else {
            throw node.kernelError("input has shape \(shapeText(x.shape)); rank 2 or more is needed")
        }
        var k = 0
        if let kTensor = node.optionalInput(inputs, 1) {
            k = try node.integerList(try node.singleElement(kTensor, "k"), "k")[0]
        }
        let upper = node.int("upper", default: 1) != 0
        let rows = x.shape[x.rank - 2], columns = x.shape[x.rank - 1]
        // Clamped so that j − i compares with k without overflow for any k from the file.
        let diagonal = Swift.max(Swift.min(k, columns + 1), -(rows + 1))
        func keep(_ flat: Int) -> Bool {
            let j = flat % columns, i = (flat / columns) % rows
            return upper ? j - i >= diagonal : j - i <= diagonal
        }
        return [x.rearranged(shape: x.shape,
                             float: { values in values.indices.map { keep($0) ? values[$0] : 0 } },
                             int: { values in values.indices.map { keep($0) ? values[$0] : 0 } })]
    }
}
