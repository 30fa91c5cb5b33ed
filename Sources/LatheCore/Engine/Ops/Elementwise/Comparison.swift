/// Comparisons and logic with numpy broadcasting — Equal, Less, Greater,
/// LessOrEqual, GreaterOrEqual (→ bool), And, Or, Xor, Not — and Where.
/// Bool tensors hold 0/1 in `ints` with dtype `.bool`.
enum Comparison {
    static func compare(_ node: Node, _ inputs: [Tensor?],
                        float: (Float, Float) -> Bool, int: (Int64, Int64) -> Bool) throws -> Tensor {
        let a = try node.input(0, of: inputs, "A"), b = try node.input(1, of: inputs, "B")
        _ = try Arithmetic.commonType(node, [a, b])
        let plan = try Arithmetic.plan(node, [a, b])
        let out: [Int64] = a.isFloat
            ? Broadcasting.map(a.floats, b.floats, plan: plan) { float($0, $1) ? 1 : 0 }
            : Broadcasting.map(a.ints, b.ints, plan: plan) { int($0, $1) ? 1 : 0 }
        return .boolean(shape: plan.outputShape, out)
    }

    static let equal: Kernel = { node, inputs in [try compare(node, inputs, float: { $0 == $1 }, int: { $0 == $1 })] }
    static let less: Kernel = { node, inputs in [try compare(node, inputs, float: { $0 < $1 }, int: { $0 < $1 })] }
    static let greater: Kernel = { node, inputs in [try compare(node, inputs, float: { $0 > $1 }, int: { $0 > $1 })] }
    static let lessOrEqual: Kernel = { node, inputs in
        [try compare(node, inputs, float: { $0 <= $1 }, int: { $0 <= $1 })]
    }
    static let greaterOrEqual: Kernel = { node, inputs in
        [try compare(node, inputs, float: { $0 >= $1 }, int: { $0 >= $1 })]
    }

    /// Bool operands of the logical ops, as 0/1.
    static func booleanOperand(_ node: Node, _ t: Tensor, _ role: String) throws -> [Int64] {
        guard t.dtype == .bool else { throw node.kernelError("\(role) must be bool, got \(t.dtype.rawValue)") }
        return t.ints
    }

    static func logical(_ node: Node, _ inputs: [Tensor?], _ f: (Bool, Bool) -> Bool) throws -> Tensor {
        let a = try node.input(0, of: inputs, "A"), b = try node.input(1, of: inputs, "B")
        let va = try booleanOperand(node, a, "A"), vb = try booleanOperand(node, b, "B")
        let plan = try Arithmetic.plan(node, [a, b])
        return .boolean(shape: plan.outputShape, Broadcasting.map(va, vb, plan: plan) { f($0 != 0, $1 != 0) ? 1 : 0 })
    }

    static let and: Kernel = { node, inputs in [try logical(node, inputs) { $0 && $1 }] }
    static let or: Kernel = { node, inputs in [try logical(node, inputs) { $0 || $1 }] }
    static let xor: Kernel = { node, inputs in [try logical(node, inputs) { $0 != $1 }] }

    static let not: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "X")
        let values = try booleanOperand(node, x, "X")
        return [.boolean(shape: x.shape, values.map { $0 == 0 ? 1 : 0 })]
    }

    /// Where(condition, X, Y): X where condition is true, else Y, all three
    /// broadcast together.
    static let `where`: Kernel = { node, inputs in
        let condition = try node.input(0, of: inputs, "condition")
        let x = try node.input(1, of: inputs, "X"), y = try node.input(2, of: inputs, "Y")
        let flags = try booleanOperand(node, condition, "condition")
        let dtype = try Arithmetic.commonType(node, [x, y])
        guard let plan = BroadcastPlan([condition.shape, x.shape, y.shape]) else {
            throw node.kernelError("cannot broadcast shapes \(condition.shape), \(x.shape) and \(y.shape)")
        }
        if dtype.isFloatingPoint {
            let out = Broadcasting.map3(flags, x.floats, y.floats, plan: plan) { $0 != 0 ? $1 : $2 }
            return [.floating(shape: plan.outputShape, out, dtype: dtype)]
        }
        let out = Broadcasting.map3(flags, x.ints, y.ints, plan: plan) { $0 != 0 ? $1 : $2 }
        return [.integer(shape: plan.outputShape, out, dtype: dtype)]
    }
}
