/// ONNX Pad: opset < 11 reads `pads` / `value` attributes, opset ≥ 11 the
/// `pads` and optional `constant_value` inputs, opset ≥ 18 the optional `axes`
/// input. Modes constant, reflect, edge and (opset 19) wrap; negative pads
/// crop. Float and integer tensors alike.
///
/// Every output axis gets an index map to its source position (or −1 for the
/// constant), so the copy is one gather per output row.
enum PadKernel {
    enum Mode: String { case constant, reflect, edge, wrap }

    /// `inputForm`: pads (and constant, axes) are inputs, from opset 11.
    static func kernel(inputForm: Bool) -> Kernel {
        { node, inputs in try run(node, inputs, inputForm: inputForm) }
    }

    static func run(_ node: Node, _ inputs: [Tensor?], inputForm: Bool) throws -> [Tensor] {
        let x = try node.input(0, of: inputs, "data")
        let rank = x.rank
        let modeText = node.string("mode") ?? "constant"
        guard let mode = Mode(rawValue: modeText) else { throw node.kernelError("unknown mode '\(modeText)'") }

        var pads: [Int]
        var constant: Tensor? = nil
        var axes = Array(0..<rank)
        if !inputForm {
            guard let given = node.ints("pads") ?? node.ints("paddings") else {
                throw node.kernelError("attribute pads is missing")
            }
            pads = given
            constant = .scalar(node.float("value", default: 0))
        } else {
            let padsInput = try node.input(1, of: inputs, "pads")
            guard !padsInput.isFloat else { throw node.kernelError("pads must be an int64 tensor") }
            pads = padsInput.ints.map(Int.init)
            constant = node.optionalInput(inputs, 2)
            if let axesInput = node.optionalInput(inputs, 3) {
                guard !axesInput.isFloat else { throw node.kernelError("axes must be an integer tensor") }
                axes = try axesInput.ints.map { a in
                    let axis = Int(a) < 0 ? Int(a) + rank : Int(a)
                    guard axis >= 0 && axis < rank else {
                        throw node.kernelError("axis \(a) is out of range for input \(shapeText(x.shape))")
                    }
                    return axis
                }
            }
        }
        guard pads.count == 2 * axes.count else {
            throw node.kernelError("pads has \(pads.count) values; \(2 * axes.count) expected for input \(shapeText(x.shape))")
        }
        var before = [Int](repeating: 0, count: rank)
        var after = [Int](repeating: 0, count: rank)
        for (i, axis) in axes.enumerated() {
            before[axis] = pads[i]
            after[axis] = pads[axes.count + i]
        }
        var outShape = x.shape
        for axis in 0..<rank {
            outShape[axis] = x.shape[axis] + before[axis] + after[axis]
            guard outShape[axis] >= 0 else {
                throw node.kernelError("pads crop axis \(axis) of \(shapeText(x.shape)) below zero")
            }
            if mode != .constant && x.shape[axis] == 0 && outShape[axis] > 0 {
                throw node.kernelError("\(mode.rawValue) padding of the empty axis \(axis) is undefined")
            }
        }
        _ = try node.checkedOutputShape(outShape)
        let maps = (0..<rank).map { axis in
            indexMap(length: x.shape[axis], before: before[axis], outLength: outShape[axis], mode: mode)
        }
        if x.isFloat {
            let value = constant.map { $0.asFloats.first ?? 0 } ?? 0
            let data = gather(x.floats, shape: x.shape, outShape: outShape, maps: maps, fill: value)
            return [Tensor(shape: outShape, floats: data, dtype: x.dtype)]
        }
        let value = constant.map { $0.asInts.first ?? 0 } ?? 0
        let data = gather(x.ints, shape: x.shape, outShape: outShape, maps: maps, fill: value)
        return [Tensor(shape: outShape, ints: data, dtype: x.dtype)]
    }

    /// Source index of every output position along one axis (−1: the constant).
    static func indexMap(length: Int, before: Int, outLength: Int, mode: Mode) -> [Int] {
        (0..<outLength).map { i in
            let s = i - before
            if s >= 0 && s < length { return s }
            switch mode {
            case .constant: return -1
            case .edge: return s < 0 ? 0 : length - 1
            case .wrap: return ((s % length) + length) % length
            case .reflect:
                guard length > 1 else { return 0 }
                let period = 2 * (length - 1)
                let r = ((s % period) + period) % period
                return r < length ? r : period - r
            }
        }
    }

    static func gather<T>(_ data: [T], shape: [Int], outShape: [Int], maps: [[Int]], fill: T) -> [T] {
        let total = outShape.reduce(1, *)
        guard total > 0 else { return [] }
        guard let lastMap = maps.last else { return data }  // rank 0: nothing to pad
        let rank = shape.count
        let inStrides = rowMajorStrides(shape)
        let rowLength = outShape[rank - 1]
        let rows = total / rowLength
        var out = [T](repeating: fill, count: total)
        var index = [Int](repeating: 0, count: rank - 1)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<rows {
                    var offset = 0
                    var inside = true
                    for axis in 0..<(rank - 1) {
                        let m = maps[axis][index[axis]]
                        if m < 0 { inside = false; break }
                        offset += m * inStrides[axis]
                    }
                    if inside {
                        let base = row * rowLength
                        for (j, m) in lastMap.enumerated() where m >= 0 { dst[base + j] = src[offset + m] }
                    }
                    var axis = rank - 2
                    while axis >= 0 {
                        index[axis] += 1
                        if index[axis] < outShape[axis] { break }
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return out
    }
}
