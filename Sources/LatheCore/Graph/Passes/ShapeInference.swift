/// Static output shapes for the common ops, from known input shapes and, where
/// an op's shape depends on an input's values (Reshape, Slice, Expand, ...),
/// the constant values of those inputs. Unknown stays unknown (nil): the
/// executor still runs such nodes; only the folding of shape subgraphs below
/// them is lost.
enum ShapeInference {
    /// `shapes[i]` is input i's shape (nil when unknown or omitted); `values[i]`
    /// its constant value when it is a constant. Returns one entry per output.
    static func outputShapes(of node: Node, shapes: [[Int]?], values: [Tensor?]) -> [[Int]?] {
        let unknown = [[Int]?](repeating: nil, count: node.outputs.count)
        guard node.isDefaultDomain else { return unknown }
        let rule = Rule(node: node, shapes: shapes, values: values)
        guard let first = rule.infer() else { return unknown }
        var result = unknown
        for (index, shape) in first.enumerated() where index < result.count && isPlausible(shape) {
            result[index] = shape
        }
        return result
    }

    /// The rules compute with wrapping arithmetic (&+, &*): a file's attributes and constants can be any
    /// 64-bit value, and an overflow trap ended `lathe inspect` (Pad with pads near Int.max, found by
    /// fuzzing). A result that wrapped, or that no tensor could have, is unknown instead.
    static let largestDimension = 1 << 40
    static let mostElements = 1 << 48

    static func isPlausible(_ shape: [Int]) -> Bool {
        guard shape.allSatisfy({ $0 >= 0 && $0 <= largestDimension }), let count = ElementCount.of(shape) else {
            return false
        }
        return count <= mostElements
    }

    static let sameAsInput: Set<String> = [
        "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Clip", "Elu", "Selu", "Celu",
        "Softplus", "Softsign", "Gelu", "Erf", "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal", "Floor",
        "Ceil", "Round", "Sign", "Not", "Cast", "CastLike", "Identity", "Softmax", "LogSoftmax", "Hardmax",
        "LRN", "InstanceNormalization", "Sin", "Cos", "Tan", "Atan", "Asin", "Acos", "Sinh", "Cosh", "IsNaN",
        "IsInf", "Mish", "ThresholdedRelu", "Shrink", "PRelu", "CumSum", "Trilu", "QuantizeLinear",
        "DequantizeLinear", "MeanVarianceNormalization", "BitwiseNot", "ScatterND",
    ]
    static let broadcasting: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Equal", "Less", "Greater",
        "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Where", "Mod", "BitShift", "BitwiseAnd",
        "BitwiseOr", "BitwiseXor",
    ]
    static let reductions: Set<String> = [
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
        "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare",
    ]
}

/// One node's shape rule; a struct so the helpers share the node and its inputs.
private struct Rule {
    let node: Node
    let shapes: [[Int]?]
    let values: [Tensor?]

    func shape(_ i: Int) -> [Int]? { i < shapes.count ? shapes[i] : nil }
    func ints(_ i: Int) -> [Int]? {
        guard i < values.count, let value = values[i] else { return nil }
        return value.asInts.map { Int(clamping: $0) }
    }
    func hasInput(_ i: Int) -> Bool { node.input(i) != nil }

    /// Axes given by attribute (older opsets) or by input `index` (newer ones).
    /// `.some(nil)` means "none given"; nil means "given but not constant".
    func axes(attributeOrInput index: Int) -> [Int]?? {
        if let attribute = node.ints("axes") { return .some(attribute) }
        if hasInput(index) { return ints(index).map { .some($0) } ?? nil }
        return .some(nil)
    }

    func normalized(_ axis: Int, rank: Int) -> Int? {
        let a = axis < 0 ? axis &+ rank : axis
        return a >= 0 && a < rank ? a : nil
    }

    func infer() -> [[Int]]? {
        let op = node.opType
        if ShapeInference.sameAsInput.contains(op) { return shape(0).map { [$0] } }
        if ShapeInference.broadcasting.contains(op) {
            var result: [Int] = []
            for i in node.inputs.indices where hasInput(i) {
                guard let s = shape(i), let b = broadcastShape([result, s]) else { return nil }
                result = b
            }
            return [result]
        }
        if ShapeInference.reductions.contains(op) { return reduce() }
        switch op {
        case "BatchNormalization", "LayerNormalization", "Dropout":
            return shape(0).map { [$0, $0] }
        case "Conv", "MaxPool", "AveragePool", "LpPool":
            return windowed()
        case "ConvTranspose":
            return convTranspose()
        case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool":
            guard let x = shape(0), x.count >= 2 else { return nil }
            return [Array(x[0..<2]) + [Int](repeating: 1, count: x.count &- 2)]
        case "Gemm":
            guard let a = shape(0), let b = shape(1), a.count == 2, b.count == 2 else { return nil }
            let m = node.int("transA", default: 0) != 0 ? a[1] : a[0]
            let n = node.int("transB", default: 0) != 0 ? b[0] : b[1]
            return [[m, n]]
        case "MatMul":
            return matMul()
        case "Flatten":
            guard let x = shape(0), let axis = normalizedFlattenAxis(rank: x.count) else { return nil }
            return [[x[..<axis].reduce(1, &*), x[axis...].reduce(1, &*)]]
        case "Reshape":
            return reshape()
        case "Transpose":
            guard let x = shape(0) else { return nil }
            let perm = node.ints("perm") ?? Array((0..<x.count).reversed())
            guard perm.count == x.count, perm.allSatisfy({ $0 >= 0 && $0 < x.count }) else { return nil }
            return [perm.map { x[$0] }]
        case "Concat":
            return concat()
        case "Squeeze":
            return squeeze()
        case "Unsqueeze":
            return unsqueeze()
        case "Gather":
            guard let data = shape(0), let indices = shape(1),
                  let axis = normalized(node.int("axis", default: 0), rank: data.count) else { return nil }
            return [Array(data[..<axis]) + indices + Array(data[(axis &+ 1)...])]
        case "GatherElements":
            return shape(1).map { [$0] }
        case "ScatterElements", "Scatter":
            return shape(0).map { [$0] }
        case "OneHot":
            guard let indices = shape(0), let depth = ints(1), depth.count == 1, depth[0] >= 1,
                  let axis = normalized(node.int("axis", default: -1), rank: indices.count &+ 1) else { return nil }
            var result = indices
            result.insert(depth[0], at: axis)
            return [result]
        case "Slice":
            return slice()
        case "TopK":
            // Values and indices: the input's shape with k along the axis (k an attribute before opset 10, else input 1).
            guard let x = shape(0), let axis = normalized(node.int("axis", default: -1), rank: x.count),
                  let k = node.int("k") ?? ints(1).flatMap({ $0.count == 1 ? $0[0] : nil }), k >= 0, k <= x[axis] else {
                return nil
            }
            var result = x
            result[axis] = k
            return [result, result]
        case "GatherND":
            // indices.shape[..<-1] + data.shape[batch_dims + m...], m the index tuples' length.
            let batchDims = node.int("batch_dims", default: 0)
            guard let data = shape(0), let indices = shape(1), let m = indices.last, batchDims >= 0, m >= 1,
                  batchDims < indices.count, m <= data.count &- batchDims else { return nil }
            return [Array(indices.dropLast()) + Array(data[(batchDims &+ m)...])]
        case "ArgMax", "ArgMin":
            guard let x = shape(0), let axis = normalized(node.int("axis", default: 0), rank: x.count) else {
                return nil
            }
            var result = x
            if node.int("keepdims", default: 1) != 0 { result[axis] = 1 } else { result.remove(at: axis) }
            return [result]
        case "Pad":
            return pad()
        case "Expand":
            guard let x = shape(0), let target = ints(1), let result = broadcastShape([x, target]) else {
                return nil
            }
            return [result]
        case "Tile":
            guard let x = shape(0), let repeats = ints(1), repeats.count == x.count else { return nil }
            return [zip(x, repeats).map { $0 &* $1 }]
        case "Split":
            return split()
        case "Shape":
            guard let x = shape(0) else { return nil }
            let rank = x.count
            let clampAxis = { (v: Int) in min(max(v < 0 ? v &+ rank : v, 0), rank) }
            let start = clampAxis(node.int("start", default: 0)), end = clampAxis(node.int("end", default: rank))
            return [[max(end &- start, 0)]]
        case "Size":
            return [[]]
        case "ConstantOfShape":
            return ints(0).map { [$0] }
        case "Resize", "Upsample":
            return resize()
        case "LSTM", "GRU", "RNN":
            return recurrent()
        case "DepthToSpace", "SpaceToDepth":
            guard let x = shape(0), x.count == 4, let b = node.int("blocksize"), b > 0, b < 1 << 31 else { return nil }
            if op == "DepthToSpace" { return [[x[0], x[1] / (b &* b), x[2] &* b, x[3] &* b]] }
            return [[x[0], x[1] &* b &* b, x[2] / b, x[3] / b]]
        default:
            return nil
        }
    }

    /// Y [T, D, N, H] (layout 1: [N, T, D, H]), then Y_h and Y_c [D, N, H] ([N, D, H]).
    func recurrent() -> [[Int]]? {
        guard let x = shape(0), x.count == 3 else { return nil }
        guard let hidden = node.int("hidden_size") ?? shape(2).flatMap({ $0.count == 3 ? $0[2] : nil }) else {
            return nil
        }
        let directions = node.string("direction") == "bidirectional" ? 2 : 1
        if node.int("layout", default: 0) == 0 {
            let state = [directions, x[1], hidden]
            return [[x[0], directions, x[1], hidden], state, state]
        }
        let state = [x[0], directions, hidden]
        return [[x[0], x[1], directions, hidden], state, state]
    }

    func normalizedFlattenAxis(rank: Int) -> Int? {
        let axis = node.int("axis", default: 1)
        let a = axis < 0 ? axis &+ rank : axis
        return a >= 0 && a <= rank ? a : nil
    }

    /// Conv and pooling: N, channels, then one windowed size per spatial axis.
    func windowed() -> [[Int]]? {
        guard let x = shape(0), x.count >= 3 else { return nil }
        let spatial = x.count &- 2
        var channels = x[1]
        var kernel = node.ints("kernel_shape")
        let isConv = node.opType == "Conv"
        if isConv {
            guard let w = shape(1), w.count == x.count else { return nil }
            channels = w[0]
            kernel = kernel ?? Array(w[2...])
        }
        guard let kernel, kernel.count == spatial else { return nil }
        let strides = node.ints("strides") ?? [Int](repeating: 1, count: spatial)
        let dilations = node.ints("dilations") ?? [Int](repeating: 1, count: spatial)
        let pads = node.ints("pads") ?? [Int](repeating: 0, count: 2 &* spatial)
        guard strides.count == spatial, dilations.count == spatial, pads.count == 2 &* spatial else { return nil }
        let autoPad = node.string("auto_pad") ?? "NOTSET"
        let ceilMode = !isConv && node.int("ceil_mode", default: 0) != 0
        var out = [x[0], channels]
        for i in 0..<spatial {
            let input = x[i &+ 2], stride = strides[i]
            guard stride > 0 else { return nil }
            let extent = dilations[i] &* (kernel[i] &- 1) &+ 1
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                out.append((input &+ stride &- 1) / stride)
            case "VALID":
                out.append(max((input &- extent) / stride &+ 1, 0))
            default:
                let span = input &+ pads[i] &+ pads[i &+ spatial] &- extent
                guard span >= 0 else { return nil }
                var size = (ceilMode ? (span &+ stride &- 1) / stride : span / stride) &+ 1
                // A last window starting inside the end padding is dropped (ONNX, PyTorch).
                if ceilMode, (size &- 1) &* stride >= input &+ pads[i] { size &-= 1 }
                out.append(size)
            }
        }
        return node.opType == "MaxPool" ? [out, out] : [out]
    }

    func convTranspose() -> [[Int]]? {
        guard let x = shape(0), let w = shape(1), x.count >= 3, w.count == x.count else { return nil }
        let spatial = x.count &- 2
        let group = node.int("group", default: 1)
        let kernel = node.ints("kernel_shape") ?? Array(w[2...])
        var out = [x[0], w[1] &* group]
        if let outputShape = node.ints("output_shape"), outputShape.count >= spatial {
            return [out + outputShape.suffix(spatial)]
        }
        let strides = node.ints("strides") ?? [Int](repeating: 1, count: spatial)
        let dilations = node.ints("dilations") ?? [Int](repeating: 1, count: spatial)
        let pads = node.ints("pads") ?? [Int](repeating: 0, count: 2 &* spatial)
        let outputPadding = node.ints("output_padding") ?? [Int](repeating: 0, count: spatial)
        guard kernel.count == spatial, strides.count == spatial, dilations.count == spatial,
              pads.count == 2 &* spatial, outputPadding.count == spatial else { return nil }
        let autoPad = node.string("auto_pad") ?? "NOTSET"
        for i in 0..<spatial {
            if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
                out.append(x[i &+ 2] &* strides[i])
            } else {
                out.append(strides[i] &* (x[i &+ 2] &- 1) &+ outputPadding[i] &+ (kernel[i] &- 1) &* dilations[i] &+ 1
                           &- pads[i] &- pads[i &+ spatial])
            }
        }
        return [out]
    }

    func matMul() -> [[Int]]? {
        guard var a = shape(0), var b = shape(1), !a.isEmpty, !b.isEmpty else { return nil }
        let vectorA = a.count == 1, vectorB = b.count == 1
        if vectorA { a = [1] + a }
        if vectorB { b = b + [1] }
        guard a[a.count &- 1] == b[b.count &- 2],
              var result = broadcastShape([Array(a.dropLast(2)), Array(b.dropLast(2))]) else { return nil }
        if !vectorA { result.append(a[a.count &- 2]) }
        if !vectorB { result.append(b[b.count &- 1]) }
        return [result]
    }

    func reshape() -> [[Int]]? {
        guard let x = shape(0) else { return nil }
        guard let requested = hasInput(1) ? ints(1) : node.ints("shape") else { return nil }
        let allowZero = node.int("allowzero", default: 0) != 0
        var result = requested
        var inferred: Int?
        for (i, dim) in requested.enumerated() {
            if dim == 0 && !allowZero {
                guard i < x.count else { return nil }
                result[i] = x[i]
            } else if dim == -1 {
                guard inferred == nil else { return nil }
                inferred = i
            } else if dim < 0 {
                return nil
            }
        }
        let total = x.reduce(1, &*)
        if let inferred {
            let known = result.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 &* $1.element }
            guard known > 0, total % known == 0 else { return nil }
            result[inferred] = total / known
        }
        return result.reduce(1, &*) == total ? [result] : nil
    }

    func concat() -> [[Int]]? {
        var result: [Int]?
        guard let axisAttribute = node.int("axis") else { return nil }
        var axis = 0
        for i in node.inputs.indices where hasInput(i) {
            guard let s = shape(i) else { return nil }
            guard var current = result else {
                guard let a = normalized(axisAttribute, rank: s.count) else { return nil }
                axis = a
                result = s
                continue
            }
            guard s.count == current.count else { return nil }
            current[axis] &+= s[axis]
            result = current
        }
        return result.map { [$0] }
    }

    func squeeze() -> [[Int]]? {
        guard let x = shape(0), let given = axes(attributeOrInput: 1) else { return nil }
        guard let axes = given else { return [x.filter { $0 != 1 }] }
        let normalizedAxes = axes.compactMap { normalized($0, rank: x.count) }
        guard normalizedAxes.count == axes.count else { return nil }
        return [x.enumerated().filter { !normalizedAxes.contains($0.offset) }.map(\.element)]
    }

    func unsqueeze() -> [[Int]]? {
        guard let x = shape(0), let given = axes(attributeOrInput: 1), let axes = given else { return nil }
        let rank = x.count &+ axes.count
        let inserted = Set(axes.compactMap { normalized($0, rank: rank) })
        guard inserted.count == axes.count else { return nil }
        var result: [Int] = []
        var source = x.makeIterator()
        for i in 0..<rank {
            if inserted.contains(i) { result.append(1) } else if let dim = source.next() { result.append(dim) }
        }
        return [result]
    }

    func slice() -> [[Int]]? {
        guard let x = shape(0) else { return nil }
        let starts: [Int], ends: [Int], axesList: [Int], steps: [Int]
        if hasInput(1) || hasInput(2) {
            guard let s = ints(1), let e = ints(2), s.count == e.count else { return nil }
            starts = s
            ends = e
            if hasInput(3) { guard let a = ints(3) else { return nil }; axesList = a } else {
                axesList = Array(0..<s.count)
            }
            if hasInput(4) { guard let t = ints(4) else { return nil }; steps = t } else {
                steps = [Int](repeating: 1, count: s.count)
            }
        } else {
            guard let s = node.ints("starts"), let e = node.ints("ends") else { return nil }
            starts = s
            ends = e
            axesList = node.ints("axes") ?? Array(0..<s.count)
            steps = [Int](repeating: 1, count: s.count)
        }
        guard axesList.count == starts.count, steps.count == starts.count else { return nil }
        var result = x
        for i in starts.indices {
            guard let axis = normalized(axesList[i], rank: x.count), steps[i] != 0, steps[i] != .min else { return nil }
            let dim = x[axis], step = steps[i]
            var start = starts[i] < 0 ? starts[i] &+ dim : starts[i]
            var end = ends[i] < 0 ? ends[i] &+ dim : ends[i]
            if step > 0 {
                start = min(max(start, 0), dim)
                end = min(max(end, 0), dim)
                result[axis] = max(0, (end &- start &+ step &- 1) / step)
            } else {
                start = min(max(start, 0), dim &- 1)
                end = min(max(end, -1), dim &- 1)
                result[axis] = max(0, (start &- end &+ (-step) &- 1) / (-step))
            }
        }
        return [result]
    }

    func reduce() -> [[Int]]? {
        guard let x = shape(0) else { return nil }
        let keep = node.int("keepdims", default: 1) != 0
        guard let given = axes(attributeOrInput: 1) else { return nil }
        var axes = given ?? []
        if axes.isEmpty {
            if node.int("noop_with_empty_axes", default: 0) != 0 { return [x] }
            axes = Array(0..<x.count)
        }
        let normalizedAxes = Set(axes.compactMap { normalized($0, rank: x.count) })
        guard normalizedAxes.count == Set(axes).count else { return nil }
        var result: [Int] = []
        for (i, dim) in x.enumerated() {
            if normalizedAxes.contains(i) { if keep { result.append(1) } } else { result.append(dim) }
        }
        return [result]
    }

    func pad() -> [[Int]]? {
        guard let x = shape(0) else { return nil }
        guard let pads = hasInput(1) ? ints(1) : node.ints("pads") else { return nil }
        var axes = Array(0..<x.count)
        if hasInput(3) {
            guard let given = ints(3) else { return nil }
            axes = given.compactMap { normalized($0, rank: x.count) }
            guard axes.count == given.count else { return nil }
        }
        guard pads.count == 2 &* axes.count else { return nil }
        var result = x
        for (i, axis) in axes.enumerated() { result[axis] &+= pads[i] &+ pads[i &+ axes.count] }
        return result.allSatisfy({ $0 >= 0 }) ? [result] : nil
    }

    func split() -> [[Int]]? {
        guard let x = shape(0), let axis = normalized(node.int("axis", default: 0), rank: x.count) else { return nil }
        let count = node.outputs.count
        var sizes: [Int]
        if let given = node.ints("split") {
            sizes = given
        } else if hasInput(1) {
            guard let given = ints(1) else { return nil }
            sizes = given
        } else {
            guard count > 0 else { return nil }
            let chunk = (x[axis] &+ count &- 1) / count
            sizes = (0..<count).map { min(chunk, max(x[axis] &- $0 &* chunk, 0)) }
        }
        guard sizes.count == count, sizes.reduce(0, &+) == x[axis] else { return nil }
        return sizes.map { size in
            var s = x
            s[axis] = size
            return s
        }
    }

    func resize() -> [[Int]]? {
        guard let x = shape(0), node.ints("axes") == nil else { return nil }
        if node.opType == "Resize", hasInput(3) {
            guard let sizes = ints(3), sizes.count == x.count else { return nil }
            return [sizes]
        }
        let scaleIndex = node.opType == "Resize" ? 2 : 1
        let scales: [Float]
        if hasInput(scaleIndex) {
            guard scaleIndex < values.count, let value = values[scaleIndex] else { return nil }
            scales = value.asFloats
        } else if let attribute = node.floats("scales") {
            scales = attribute
        } else {
            return nil
        }
        guard scales.count == x.count else { return nil }
        var sizes: [Int] = []
        for (dim, scale) in zip(x, scales) {
            let size = (Double(dim) * Double(scale)).rounded(.down)
            guard size.isFinite, size >= 0, size < 0x1p62 else { return nil }
            sizes.append(Int(size))
        }
        return [sizes]
    }
}
