import Foundation

/// Binary and variadic arithmetic with numpy broadcasting: Add, Sub, Mul,
/// Div, Pow, Min, Max, Sum, Mean. Float and integer tensors are both
/// supported because shape subgraphs compute on int64.
enum Arithmetic {
    /// Element types of the operands: all floating or all integer (ONNX
    /// requires one type `T`; mixing float and integer is a malformed model).
    static func commonType(_ node: Node, _ tensors: [Tensor]) throws -> DType {
        guard let first = tensors.first else { throw node.kernelError("needs at least one input") }
        for t in tensors where t.isFloat != first.isFloat {
            throw node.kernelError("input types differ: \(tensors.map(\.dtype.rawValue).joined(separator: ", "))")
        }
        if tensors.allSatisfy({ $0.dtype == first.dtype }) { return first.dtype }
        return first.isFloat ? .float32 : .int64
    }

    static func plan(_ node: Node, _ tensors: [Tensor]) throws -> BroadcastPlan {
        guard let plan = BroadcastPlan(tensors.map(\.shape)) else {
            let shapes = tensors.map { "\($0.shape)" }.joined(separator: " and ")
            throw node.kernelError("cannot broadcast shapes \(shapes)")
        }
        return plan
    }

    /// A binary op with a float rule and an integer rule; `memo`, a compiled step's, keeps its broadcast plan.
    @inline(__always)
    static func binary(_ node: Node, _ a: Tensor, _ b: Tensor, memo: ShapePairMemo<BroadcastPlan>? = nil,
                       float: (Float, Float) -> Float, int: (Int64, Int64) -> Int64) throws -> Tensor {
        let dtype = try commonType(node, [a, b])
        let plan = try memo?.value(a, b) { try Self.plan(node, [a, b]) } ?? Self.plan(node, [a, b])
        if dtype.isFloatingPoint {
            return .floating(shape: plan.outputShape, Broadcasting.map(a.floats, b.floats, plan: plan, float), dtype: dtype)
        }
        return .integer(shape: plan.outputShape, Broadcasting.map(a.ints, b.ints, plan: plan, int), dtype: dtype)
    }

    static let add = add(planMemo: nil)
    static let sub = sub(planMemo: nil)
    static let mul = mul(planMemo: nil)
    static let div = div(planMemo: nil)

    /// The kernels of Add, Sub, Mul and Div for a step that keeps its broadcast plan in `memo`
    /// (`OpRegistry.perStepKernels`), or for any node (nil).
    static func add(planMemo memo: ShapePairMemo<BroadcastPlan>?) -> Kernel {
        { node, inputs in
            let a = try node.input(0, of: inputs, "A"), b = try node.input(1, of: inputs, "B")
            return [try binary(node, a, b, memo: memo, float: { $0 + $1 }, int: { $0 &+ $1 })]
        }
    }
    static func sub(planMemo memo: ShapePairMemo<BroadcastPlan>?) -> Kernel {
        { node, inputs in
            let a = try node.input(0, of: inputs, "A"), b = try node.input(1, of: inputs, "B")
            return [try binary(node, a, b, memo: memo, float: { $0 - $1 }, int: { $0 &- $1 })]
        }
    }
    static func mul(planMemo memo: ShapePairMemo<BroadcastPlan>?) -> Kernel {
        { node, inputs in
            let a = try node.input(0, of: inputs, "A"), b = try node.input(1, of: inputs, "B")
            return [try binary(node, a, b, memo: memo, float: { $0 * $1 }, int: { $0 &* $1 })]
        }
    }
    /// Integer division truncates toward zero (C semantics, as onnxruntime).
    static func div(planMemo memo: ShapePairMemo<BroadcastPlan>?) -> Kernel {
        { node, inputs in
            let a = try node.input(0, of: inputs, "A"), b = try node.input(1, of: inputs, "B")
            if !b.isFloat, !a.isFloat, b.ints.contains(0), a.count > 0 {
                throw node.kernelError("integer division by zero (divisor shape \(b.shape))")
            }
            return [try binary(node, a, b, memo: memo, float: { $0 / $1 },
                               int: { $0.dividedReportingOverflow(by: $1).partialValue })]
        }
    }

    /// Pow(T, T1): the exponent may have another type than the base; the
    /// result has the base's type.
    static let pow: Kernel = { node, inputs in
        let base = try node.input(0, of: inputs, "X"), exponent = try node.input(1, of: inputs, "Y")
        let plan = try plan(node, [base, exponent])
        if base.isFloat {
            let out = Broadcasting.map(base.floats, exponent.asFloats, plan: plan) { x, y -> Float in
                y == 2 ? x * x : Foundation.pow(x, y)
            }
            return [.floating(shape: plan.outputShape, out, dtype: base.dtype)]
        }
        let exponents: [Double] = exponent.isFloat ? exponent.floats.map(Double.init) : exponent.ints.map(Double.init)
        let out = Broadcasting.map(base.ints, exponents, plan: plan) { x, y -> Int64 in
            saturatingInt64(Foundation.pow(Double(x), y))
        }
        return [.integer(shape: plan.outputShape, out, dtype: base.dtype)]
    }

    /// Double → Int64 truncating toward zero; NaN → 0, out of range saturates
    /// (C leaves these undefined; Lathe must not trap).
    static func saturatingInt64(_ value: Double) -> Int64 {
        if value.isNaN { return 0 }
        if value >= 9.223372036854775807e18 { return .max }
        if value <= -9.223372036854775808e18 { return .min }
        return Int64(value)
    }

    /// Folds a variadic op (Sum, Min, Max, Mean) over all its inputs with
    /// multidirectional broadcasting.
    static func variadic(_ node: Node, _ inputs: [Tensor?],
                         float: (Float, Float) -> Float, int: (Int64, Int64) -> Int64) throws -> Tensor {
        let tensors = inputs.compactMap { $0 }
        guard var result = tensors.first else { throw node.kernelError("needs at least one input") }
        _ = try commonType(node, tensors)
        _ = try plan(node, tensors)   // reports incompatible shapes with all of them
        for next in tensors.dropFirst() {
            result = try binary(node, result, next, float: float, int: int)
        }
        return result
    }

    /// Float min/max propagate NaN, as onnxruntime does.
    @inline(__always) static func floatMax(_ a: Float, _ b: Float) -> Float {
        a.isNaN || b.isNaN ? .nan : (a >= b ? a : b)
    }
    @inline(__always) static func floatMin(_ a: Float, _ b: Float) -> Float {
        a.isNaN || b.isNaN ? .nan : (a <= b ? a : b)
    }

    static let sum: Kernel = { node, inputs in
        [try variadic(node, inputs, float: { $0 + $1 }, int: { $0 &+ $1 })]
    }
    static let max: Kernel = { node, inputs in
        [try variadic(node, inputs, float: floatMax, int: { Swift.max($0, $1) })]
    }
    static let min: Kernel = { node, inputs in
        [try variadic(node, inputs, float: floatMin, int: { Swift.min($0, $1) })]
    }
    static let mean: Kernel = { node, inputs in
        let total = try variadic(node, inputs, float: { $0 + $1 }, int: { $0 &+ $1 })
        let n = inputs.compactMap { $0 }.count
        if total.isFloat {
            let scale = Float(n)
            return [.floating(shape: total.shape, total.floats.map { $0 / scale }, dtype: total.dtype)]
        }
        return [.integer(shape: total.shape, total.ints.map { $0 / Int64(n) }, dtype: total.dtype)]
    }
}
