/// OneHot: for each index, a row of `depth` values along `axis`, all
/// `values[0]` (off) except `values[1]` (on) at the index. Indices count from
/// the end when negative; one outside [-depth, depth) gives an all-off row.
/// Non-integer indices and depth are truncated toward zero, as onnxruntime
/// casts them.
enum OneHot {
    static let oneHot: Kernel = { node, inputs in
        let indexTensor = try node.input(0, of: inputs, "indices")
        let depthTensor = try node.singleElement(try node.input(1, of: inputs, "depth"), "depth")
        let values = try node.input(2, of: inputs, "values")
        guard values.rank == 1, values.count == 2 else {
            throw node.kernelError("values must be [off, on], two values; got shape \(values.shape)")
        }
        guard depthTensor.rank <= 1 else { throw node.kernelError("depth must be a scalar or one value, got shape \(depthTensor.shape)") }
        let depthValue = depthTensor.isFloat ? Double(depthTensor.floats[0]) : Double(depthTensor.ints[0])
        guard depthValue >= 1, depthValue < Double(Int32.max) else {
            throw node.kernelError("depth \(depthValue) must be at least 1")
        }
        let depth = Int(depthValue)
        let axis = try node.normalizedAxis(node.int("axis", default: -1), rank: indexTensor.rank + 1)
        var shape = indexTensor.shape
        shape.insert(depth, at: axis)
        _ = try node.checkedCount(shape, "output shape")
        let indices: [Int] = indexTensor.isFloat
            ? indexTensor.floats.map { $0.isFinite && abs($0) < 1e15 ? Int($0) : depth }
            : indexTensor.ints.map { Int($0) }
        // The output is [outer, depth, inner]: `outer` the index axes before `axis`, `inner` those after it.
        let inner = indexTensor.shape[axis...].reduce(1, *)
        func fill<T>(_ off: T, _ on: T) -> [T] {
            var out = [T](repeating: off, count: indices.count * depth)
            for (position, raw) in indices.enumerated() where raw >= -depth && raw < depth {
                let index = raw < 0 ? raw + depth : raw
                let (o, i) = position.quotientAndRemainder(dividingBy: Swift.max(inner, 1))
                out[(o * depth + index) * inner + i] = on
            }
            return out
        }
        return [values.rearranged(shape: shape, float: { fill($0[0], $0[1]) }, int: { fill($0[0], $0[1]) })]
    }
}
