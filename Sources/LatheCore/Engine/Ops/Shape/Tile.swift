/// Tile: the input repeated `repeats[i]` times along each axis i.
///
/// Output index `r·d + j` along axis i (r < repeats[i], j < d = input dim)
/// reads input index j, so the output is the input viewed as
/// [r0, d0, r1, d1, ...] with stride 0 on every r axis: one strided copy.
enum Tile {
    static let tile: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "input")
        let repeats = try node.integerList(try node.input(1, of: inputs, "repeats"), "repeats")
        guard repeats.count == x.rank else {
            throw node.kernelError("repeats has \(repeats.count) values for an input of rank \(x.rank) (shape \(x.shape))")
        }
        if let negative = repeats.first(where: { $0 < 0 }) {
            throw node.kernelError("repeats \(repeats) has a negative value \(negative)")
        }
        var shape: [Int] = []
        for (dim, times) in zip(x.shape, repeats) {
            let (product, overflow) = dim.multipliedReportingOverflow(by: times)
            guard !overflow else { throw node.kernelError("tiling shape \(x.shape) by \(repeats) overflows") }
            shape.append(product)
        }
        _ = try node.checkedCount(shape, "tiled shape")
        if x.rank == 0 { return [x] }
        if shape.contains(0) { return [x.rearranged(shape: shape, float: { _ in [] }, int: { _ in [] })] }
        let strides = rowMajorStrides(x.shape)
        var viewShape: [Int] = [], viewStrides: [Int] = []
        for axis in 0..<x.rank {
            viewShape += [repeats[axis], x.shape[axis]]
            viewStrides += [0, strides[axis]]
        }
        return [x.rearranged(shape: shape,
                             float: { ElementCopy.strided($0, offset: 0, shape: viewShape, strides: viewStrides) },
                             int: { ElementCopy.strided($0, offset: 0, shape: viewShape, strides: viewStrides) })]
    }
}
