/// Slice: starts/ends/axes attributes before opset 10; from 10 on (`inputForm`), inputs
/// starts, ends and optional axes and steps (negative steps walk backwards).
/// Out-of-range starts and ends — including the INT64_MAX "to the end"
/// idiom — are clamped as ONNX specifies.
enum Slice {
    static func slice(inputForm: Bool) -> Kernel { { node, inputs in
        let x = try node.input(0, of: inputs, "data")
        let starts: [Int], ends: [Int]
        var axes: [Int]?, steps: [Int]?
        if inputForm {
            starts = try node.integerList(try node.input(1, of: inputs, "starts"), "starts")
            ends = try node.integerList(try node.input(2, of: inputs, "ends"), "ends")
            if inputs.count > 3, let t = inputs[3] { axes = try node.integerList(t, "axes") }
            if inputs.count > 4, let t = inputs[4] { steps = try node.integerList(t, "steps") }
        } else {
            guard let s = node.ints("starts"), let e = node.ints("ends") else {
                throw node.kernelError("missing required attributes starts and ends")
            }
            starts = s
            ends = e
            axes = node.ints("axes")
        }
        let axisList = axes ?? Array(0..<starts.count)
        let stepList = steps ?? [Int](repeating: 1, count: starts.count)
        guard ends.count == starts.count, axisList.count == starts.count, stepList.count == starts.count else {
            throw node.kernelError("starts \(starts), ends \(ends), axes \(axisList) and steps \(stepList) differ in length")
        }
        let normalizedAxes = try node.normalizedAxes(axisList, rank: x.rank)

        var shape = x.shape
        var begin = [Int](repeating: 0, count: x.rank)
        var step = [Int](repeating: 1, count: x.rank)
        for (i, axis) in normalizedAxes.enumerated() {
            guard stepList[i] != 0 else { throw node.kernelError("step for axis \(axisList[i]) is 0") }
            let range = bounds(start: starts[i], end: ends[i], step: stepList[i], dim: x.shape[axis])
            shape[axis] = range.count
            begin[axis] = range.start
            step[axis] = stepList[i]
        }
        if shape.contains(0) { return [x.rearranged(shape: shape, float: { _ in [] }, int: { _ in [] })] }
        let inStrides = rowMajorStrides(x.shape)
        var offset = 0
        var strides = [Int](repeating: 0, count: x.rank)
        for axis in 0..<x.rank {
            offset += begin[axis] * inStrides[axis]
            // With one element the step is irrelevant (and may be huge).
            strides[axis] = shape[axis] > 1 ? inStrides[axis] * step[axis] : 0
        }
        return [x.rearranged(shape: shape,
                             float: { ElementCopy.strided($0, offset: offset, shape: shape, strides: strides) },
                             int: { ElementCopy.strided($0, offset: offset, shape: shape, strides: strides) })]
    } }

    /// First index and element count of a slice of one axis, with ONNX's
    /// clamping: positive steps clamp to [0, dim], negative ones to
    /// [0, dim−1] for the start and [−1, dim−1] for the end.
    static func bounds(start rawStart: Int, end rawEnd: Int, step: Int, dim: Int) -> (start: Int, count: Int) {
        // Negative values count from the end; adding dim to a negative Int cannot overflow.
        var start = rawStart < 0 ? rawStart + dim : rawStart
        var end = rawEnd < 0 ? rawEnd + dim : rawEnd
        if step > 0 {
            start = Swift.min(Swift.max(start, 0), dim)
            end = Swift.min(Swift.max(end, 0), dim)
            guard end > start else { return (start, 0) }
            return (start, Int(UInt(end - start - 1) / step.magnitude) + 1)
        }
        start = Swift.min(Swift.max(start, 0), dim - 1)
        end = Swift.min(Swift.max(end, -1), dim - 1)
        guard start > end else { return (Swift.max(start, 0), 0) }
        return (start, Int(UInt(start - end - 1) / step.magnitude) + 1)
    }
}
