/// Ops that make tensors from attributes or small inputs: Constant,
/// ConstantOfShape, Range.
enum Generators {
    static let constant: Kernel = { node, _ in
        if let value = node.tensor("value") { return [value] }
        if case .float(let v)? = node.attributes["value_float"] { return [.scalar(v)] }
        if let v = node.floats("value_floats") { return [Tensor(shape: [v.count], floats: v)] }
        if let v = node.int("value_int") { return [.scalar(int: Int64(v))] }
        if let v = node.ints("value_ints") { return [Tensor(shape: [v.count], ints: v.map { Int64($0) })] }
        let given = node.attributes.keys.filter { !$0.hasPrefix("lathe.") }.sorted()
        throw node.kernelError("unsupported value attribute \(given) (expected value, value_float(s) or value_int(s))")
    }

    /// ConstantOfShape: a tensor of the given shape filled with `value`
    /// (a one-element tensor; float32 0 by default).
    static let constantOfShape: Kernel = { node, inputs in
        let shape = try node.integerList(try node.input(0, of: inputs, "input"), "shape")
        let count = try node.checkedCount(shape, "shape")
        let value = node.tensor("value") ?? .scalar(0)
        guard value.count == 1 else { throw node.kernelError("value must hold one element, got shape \(value.shape)") }
        if value.isFloat {
            return [Tensor(shape: shape, floats: [Float](repeating: value.floats[0], count: count), dtype: value.dtype)]
        }
        return [Tensor(shape: shape, ints: [Int64](repeating: value.ints[0], count: count), dtype: value.dtype)]
    }

    /// Range(start, limit, delta): ceil((limit − start) / delta) values, each
    /// the previous plus delta (accumulated, as the ONNX definition and
    /// onnxruntime do).
    static let range: Kernel = { node, inputs in
        let start = try node.singleElement(try node.input(0, of: inputs, "start"), "start")
        let limit = try node.singleElement(try node.input(1, of: inputs, "limit"), "limit")
        let delta = try node.singleElement(try node.input(2, of: inputs, "delta"), "delta")
        let dtype = try Arithmetic.commonType(node, [start, limit, delta])
        if dtype.isFloatingPoint {
            let s = start.floats[0], l = limit.floats[0], d = delta.floats[0]
            guard d != 0 else { throw node.kernelError("delta is 0") }
            let count = try node.checkedCount([elementCount(Double(l - s), Double(d))], "range")
            var values = [Float](repeating: 0, count: count)
            var v = s
            for i in 0..<count {
                values[i] = v
                v += d
            }
            return [.floating(shape: [count], values, dtype: dtype)]
        }
        let s = start.ints[0], l = limit.ints[0], d = delta.ints[0]
        guard d != 0 else { throw node.kernelError("delta is 0") }
        let count = try node.checkedCount([elementCount(Double(l) - Double(s), Double(d))], "range")
        var values = [Int64](repeating: 0, count: count)
        var v = s
        for i in 0..<count {
            values[i] = v
            v &+= d
        }
        return [.integer(shape: [count], values, dtype: dtype)]
    }

    static func elementCount(_ span: Double, _ delta: Double) -> Int {
        let n = (span / delta).rounded(.up)
        guard n.isFinite else { return n > 0 ? Int.max : 0 }
        return n <= 0 ? 0 : (n >= 9.2e18 ? Int.max : Int(n))
    }
}
