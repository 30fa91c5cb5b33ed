/// Ops that change a tensor's shape, not its values: Flatten, Reshape,
/// Transpose, Squeeze, Unsqueeze, Expand, and Shape (which reads it).
enum ShapeOps {
    static let flatten: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "input")
        let axis = try node.normalizedAxis(node.int("axis", default: 1), rank: x.rank, allowingEnd: true)
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[axis...].reduce(1, *)
        return [x.reshaped([outer, inner])]
    }

    /// Reshape: 0 copies the input's dim at that position (unless
    /// allowzero=1, when it means an empty dim); one −1 is inferred.
    static let reshape: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "data")
        var requested: [Int]
        if inputs.count > 1, let shapeTensor = inputs[1] {
            requested = try node.integerList(shapeTensor, "shape")
        } else if let attribute = node.ints("shape") {
            requested = attribute   // Reshape-1 form
        } else {
            throw node.kernelError("missing required input 1 (shape)")
        }
        let allowZero = node.int("allowzero", default: 0) == 1
        let original = requested
        var inferred: Int?
        for (i, d) in requested.enumerated() {
            switch d {
            case -1:
                guard inferred == nil else { throw node.kernelError("shape \(original) has more than one -1") }
                inferred = i
            case 0 where !allowZero:
                guard i < x.rank else {
                    throw node.kernelError("shape \(original) copies dim \(i) (0) but the input \(x.shape) has rank \(x.rank)")
                }
                requested[i] = x.shape[i]
            case ..<0:
                throw node.kernelError("shape \(original) has invalid dim \(d)")
            default:
                break
            }
        }
        if let i = inferred {
            var others = requested
            others.remove(at: i)
            let known = try node.checkedCount(others, "shape")
            guard known > 0, x.count % known == 0 else {
                throw node.kernelError("cannot reshape \(x.shape) (\(x.count) elements) to \(original)")
            }
            requested[i] = x.count / known
        }
        guard try node.checkedCount(requested, "shape") == x.count else {
            throw node.kernelError("cannot reshape \(x.shape) (\(x.count) elements) to \(original)")
        }
        return [x.reshaped(requested)]
    }

    /// Transpose: `perm` defaults to reversing the axes.
    static let transpose: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "data")
        let rank = x.rank
        let perm = node.ints("perm") ?? Array((0..<rank).reversed())
        guard perm.count == rank, Set(perm) == Set(0..<rank) else {
            throw node.kernelError("perm \(perm) is not a permutation of the axes of shape \(x.shape)")
        }
        if perm == Array(0..<rank) { return [x] }
        let inStrides = rowMajorStrides(x.shape)
        let shape = perm.map { x.shape[$0] }
        let strides = perm.map { inStrides[$0] }
        return [x.rearranged(shape: shape,
                             float: { ElementCopy.strided($0, offset: 0, shape: shape, strides: strides) },
                             int: { ElementCopy.strided($0, offset: 0, shape: shape, strides: strides) })]
    }

    /// Axes of Squeeze/Unsqueeze: an attribute before opset 13, an input from 13 (`inputForm`).
    static func axes(_ node: Node, _ inputs: [Tensor?], inputForm: Bool) throws -> [Int]? {
        if inputForm {
            guard inputs.count > 1, let t = inputs[1] else { return nil }
            return try node.integerList(t, "axes")
        }
        return node.ints("axes")
    }

    /// Squeeze: removes the given size-1 axes, or every size-1 axis.
    static func squeeze(inputForm: Bool) -> Kernel { { node, inputs in
        let x = try node.input(0, of: inputs, "data")
        // No axes (or an empty list, as onnxruntime reads it) squeezes every size-1 axis.
        guard let requested = try axes(node, inputs, inputForm: inputForm), !requested.isEmpty else {
            return [x.reshaped(x.shape.filter { $0 != 1 })]
        }
        let axes = try node.normalizedAxes(requested, rank: x.rank)
        for axis in axes where x.shape[axis] != 1 {
            throw node.kernelError("cannot squeeze axis \(axis) of shape \(x.shape): its size is not 1")
        }
        let removed = Set(axes)
        return [x.reshaped(x.shape.enumerated().filter { !removed.contains($0.offset) }.map(\.element))]
    } }

    /// Unsqueeze: inserts size-1 axes at the given positions of the output.
    static func unsqueeze(inputForm: Bool) -> Kernel { { node, inputs in
        let x = try node.input(0, of: inputs, "data")
        guard let requested = try axes(node, inputs, inputForm: inputForm) else { throw node.kernelError("missing axes") }
        let outRank = x.rank + requested.count
        let inserted = Set(try node.normalizedAxes(requested, rank: outRank))
        var shape: [Int] = []
        var next = 0
        for axis in 0..<outRank {
            if inserted.contains(axis) {
                shape.append(1)
            } else {
                shape.append(x.shape[next])
                next += 1
            }
        }
        return [x.reshaped(shape)]
    } }

    /// Expand: broadcasts the input with the given shape (bidirectionally, so
    /// the result may be larger than either).
    static let expand: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "input")
        let requested = try node.integerList(try node.input(1, of: inputs, "shape"), "shape")
        _ = try node.checkedCount(requested, "shape")
        guard let shape = broadcastShape([x.shape, requested]),
              let plan = BroadcastPlan([x.shape], to: shape) else {
            throw node.kernelError("cannot expand shape \(x.shape) to \(requested)")
        }
        _ = try node.checkedCount(shape, "expanded shape")
        return [x.rearranged(shape: shape,
                             float: { Broadcasting.expand($0, plan: plan) },
                             int: { Broadcasting.expand($0, plan: plan) })]
    }

    /// Shape: the input's dims as int64, optionally sliced by start/end (opset 15).
    static let shape: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "data")
        let rank = x.rank
        func clamped(_ value: Int) -> Int { Swift.min(Swift.max(value < 0 ? value + rank : value, 0), rank) }
        let start = clamped(node.int("start", default: 0))
        let end = clamped(node.int("end", default: rank))
        let dims = start < end ? Array(x.shape[start..<end]) : []
        return [Tensor(shape: [dims.count], ints: dims.map { Int64($0) })]
    }
}

extension ShapeOps {
    /// Size: the input's element count as an int64 scalar. Exporters emit it
    /// for run-time length checks (e.g. recurrent VAD models' state guards).
    static let size: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "data")
        return [Tensor(shape: [], ints: [Int64(x.count)])]
    }
}
