/// Add, Sub, Mul and Div written over an operand the run no longer needs (`CompiledGraph.run` hands over
/// the operands it has read for the last time). A detector's input normalisation and its upsampled sums
/// each wrote a fresh 200 MB at batch 64, and on a virtual machine the first touch of a fresh page can
/// cost more than the arithmetic; written in place, those pages are ones the run has touched already.
/// The values are those of `Arithmetic.binary`: the same operation on each element.
enum ArithmeticInPlace {
    /// Fewest elements worth the check: below this a fresh array costs nothing measurable.
    static let minimumCount = 1 << 14

    /// The element operation of an elementwise op. A case, not a closure: each gets its own loop, with the
    /// operation inlined and vectorised (through a closure value it was an indirect call per element, a third of
    /// a dynamically quantized classifier's time in its Mul by the scales).
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
                let (a, aCount, b, bCount) = target == 0 ? (UnsafePointer(o), out.count, p, operand.count)
                    : (p, operand.count, UnsafePointer(o), out.count)
                switch operation {
                case .add: fill(Addition.self, o, a, aCount, b, bCount, plan: plan)
                case .sub: fill(Subtraction.self, o, a, aCount, b, bCount, plan: plan)
                case .mul: fill(Multiplication.self, o, a, aCount, b, bCount, plan: plan)
                case .div: fill(Division.self, o, a, aCount, b, bCount, plan: plan)
                }
            }
        }
        return result
    }

    /// `Broadcasting.fill` with the operation as a type: for operands of the output's shape or a single value,
    /// loops specialised with the operation inlined (a closure value stays an indirect call per element inside
    /// the part `OpParallelism` runs); other broadcasts through `Broadcasting.fill`.
    private static func fill<Operation: ElementOperation>(_: Operation.Type, _ o: UnsafeMutablePointer<Float>,
                                                          _ a: UnsafePointer<Float>, _ aCount: Int,
                                                          _ b: UnsafePointer<Float>, _ bCount: Int, plan: BroadcastPlan) {
        let n = plan.outputCount
        // Base pointers per part, as in `Broadcasting.fill`: no index arithmetic in the loops to overflow-check.
        if aCount == n && bCount == n {
            OpParallelism.forEachPart(of: n, work: n) { part in
                let x = a + part.lowerBound, y = b + part.lowerBound, z = o + part.lowerBound
                for j in 0..<part.count { z[j] = Operation.apply(x[j], y[j]) }
            }
        } else if aCount == n && bCount == 1 {
            let v = b.pointee
            OpParallelism.forEachPart(of: n, work: n) { part in
                let x = a + part.lowerBound, z = o + part.lowerBound
                for j in 0..<part.count { z[j] = Operation.apply(x[j], v) }
            }
        } else if aCount == 1 && bCount == n {
            let u = a.pointee
            OpParallelism.forEachPart(of: n, work: n) { part in
                let y = b + part.lowerBound, z = o + part.lowerBound
                for j in 0..<part.count { z[j] = Operation.apply(u, y[j]) }
            }
        } else {
            Broadcasting.fill(o, a, aCount, b, bCount, plan: plan, Operation.apply)
        }
    }
}

/// One element operation as a type, for loops specialised with it (`ArithmeticInPlace.fill`).
protocol ElementOperation {
    static func apply(_ a: Float, _ b: Float) -> Float
}

enum Addition: ElementOperation {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b }
}

enum Subtraction: ElementOperation {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b }
}

enum Multiplication: ElementOperation {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b }
}

enum Division: ElementOperation {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b }
}
