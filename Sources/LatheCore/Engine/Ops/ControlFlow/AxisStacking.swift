/// Cutting a tensor into its slices along an axis and stacking slices back:
/// what `Scan` does to its scan inputs and outputs and `Loop` to its scan
/// outputs. Element-type agnostic, like the other data-movement ops.
enum AxisStacking {
    /// Slice `index` of `tensor` along `axis`, that axis removed.
    static func slice(_ tensor: Tensor, axis: Int, index: Int) -> Tensor {
        let strides = rowMajorStrides(tensor.shape)
        var shape = tensor.shape, sliceStrides = strides
        shape.remove(at: axis)
        sliceStrides.remove(at: axis)
        let offset = index * strides[axis]
        return tensor.rearranged(
            shape: shape,
            float: { ElementCopy.strided($0, offset: offset, shape: shape, strides: sliceStrides) },
            int: { ElementCopy.strided($0, offset: offset, shape: shape, strides: sliceStrides) })
    }

    /// `slices` (all of one shape and dtype) stacked along a new `axis` (0...rank).
    static func stack(_ slices: [Tensor], axis: Int, node: Node, role: String) throws -> Tensor {
        guard let first = slices.first else { throw node.kernelError("\(role) has no values to stack") }
        for slice in slices where slice.shape != first.shape || slice.dtype != first.dtype {
            throw node.kernelError("\(role) changes between iterations (shape \(first.shape) \(first.dtype.rawValue), "
                + "then \(slice.shape) \(slice.dtype.rawValue)); its values cannot be stacked")
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[axis...].reduce(1, *)
        var shape = first.shape
        shape.insert(slices.count, at: axis)
        func interleave<T>(_ parts: [[T]]) -> [T] {
            var result: [T] = []
            result.reserveCapacity(outer * inner * parts.count)
            for o in 0..<outer {
                for part in parts { result.append(contentsOf: part[(o * inner)..<((o + 1) * inner)]) }
            }
            return result
        }
        if first.isFloat { return Tensor(shape: shape, floats: interleave(slices.map(\.floats)), dtype: first.dtype) }
        return Tensor(shape: shape, ints: interleave(slices.map(\.ints)), dtype: first.dtype)
    }

    /// The empty result of stacking no values: the subgraph output's declared per-iteration shape with a
    /// leading 0 at `axis` when every dimension is known, else shape [0].
    static func empty(declared: ValueInfo, axis: Int) -> Tensor {
        var shape = [0]
        if let dims = declared.dims {
            let fixed = dims.compactMap { dim -> Int? in if case .fixed(let size) = dim { return size } else { return nil } }
            if fixed.count == dims.count, axis <= fixed.count {
                shape = fixed
                shape.insert(0, at: axis)
            }
        }
        let dtype = declared.dtype ?? .float32
        return dtype.isFloatingPoint ? Tensor(shape: shape, floats: [], dtype: dtype)
                                     : Tensor(shape: shape, ints: [], dtype: dtype)
    }
}
