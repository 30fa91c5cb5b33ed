/// Add, Sub, Mul and Div written over an operand the run no longer needs (`CompiledGraph.run` hands over
/// the operands it has read for the last time). A detector's input normalisation and its upsampled sums
/// each wrote a fresh 200 MB at batch 64, and on a virtual machine the first touch of a fresh page can
/// cost more than the arithmetic; written in place, those pages are ones the run has touched already.
/// The values are those of `Arithmetic.binary`: the same operation on each element.
enum ArithmeticInPlace {
    /// Fewest elements worth the check: below this a fresh array costs nothing measurable.
    static let minimumCount = 1 << 14

    /// The element operation of an elementwise op. A case, not a closure: each gets its own loop, with the
    /// operation inlined and vectorised (through a closure value it was an indirect call per element, 16% of a
    /// dynamically quantized classifier's time in its Mul by the scales).
    enum Operation: Sendable {
        case add, sub, mul, div
    }

    /// The element operation of an elementwise op, nil for the others.
    static func operation(_ opType: String) -> Operation? {
        switch opType {
        case "Add": return .add
        case "Sub": return .sub
        case "Mul": return .mul
        case "Div": return .div
        default: return nil
        }
    }

    /// The op's result written over operand 0 or 1, taken out of `inputs`, when `isFree` says the run holds no
    /// other reference to it (its last read), it is float32 with the output's shape and so is the other; nil
    /// (inputs untouched) otherwise, for the kernel to run as usual. `isFree` (by operand position) is asked
    /// only about operands large enough to be worth it.
    static func run(_ node: Node, _ inputs: inout [Tensor?], isFree: (Int) -> Bool,
                    _ operation: Operation) throws -> Tensor? {
        // No other binding of the operands may outlive this block: a second reference to the target's
        // storage would make writing to it copy it first.
        let candidate: (target: Int, plan: BroadcastPlan)? = try {
            guard inputs.count == 2, let a = inputs[0], let b = inputs[1],
                  a.dtype == .float32, b.dtype == .float32, max(a.count, b.count) >= minimumCount else { return nil }
            let plan = try Arithmetic.plan(node, [a, b])
            guard let target = [0, 1].first(where: { ($0 == 0 ? a : b).shape == plan.outputShape && isFree($0) })
            else { return nil }
            return (target, plan)
        }()
        guard let (target, plan) = candidate, var result = inputs[target], let other = inputs[1 - target] else {
            return nil
        }
        inputs[target] = nil
        result.floats.withUnsafeMutableBufferPointer { out in
            other.floats.withUnsafeBufferPointer { operand in
                guard let o = out.baseAddress, let p = operand.baseAddress else { return }
                @inline(__always)
                func fill(_ f: (Float, Float) -> Float) {
                    if target == 0 {
                        Broadcasting.fill(o, o, out.count, p, operand.count, plan: plan, f)
                    } else {
                        Broadcasting.fill(o, p, operand.count, o, out.count, plan: plan, f)
                    }
                }
                switch operation {
                case .add: fill { $0 + $1 }
                case .sub: fill { $0 - $1 }
                case .mul: fill { $0 * $1 }
                case .div: fill { $0 / $1 }
                }
            }
        }
        return result
    }
}
