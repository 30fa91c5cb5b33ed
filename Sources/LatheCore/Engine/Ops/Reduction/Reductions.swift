import Foundation

/// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
/// ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp, ArgMax, ArgMin.
///
/// `axes` is an attribute until the op's input form arrives (ReduceSum at
/// opset 13, the others at 18; `inputForm`). With no axes every axis is reduced, unless
/// `noop_with_empty_axes` asks for the input back unchanged.
enum Reductions {
    enum Kind { case sum, mean, max, min, prod, l1, l2, sumSquare, logSum, logSumExp }

    static func reduce(_ kind: Kind, inputForm: Bool) -> Kernel {
        { node, inputs in [try reduce(node, inputs, kind, inputForm: inputForm)] }
    }

    static func reduce(_ node: Node, _ inputs: [Tensor?], _ kind: Kind, inputForm: Bool) throws -> Tensor {
        let x = try node.input(0, of: inputs, "data")
        var requested: [Int]?
        if inputForm {
            if inputs.count > 1, let t = inputs[1] { requested = try node.integerList(t, "axes") }
            if requested?.isEmpty ?? true {
                if node.int("noop_with_empty_axes", default: 0) == 1 {
                    // No axis is reduced, but the op's elementwise part still runs (ReduceSumSquare
                    // squares, ReduceL1 takes |x|, ...); it is the identity for the four plain reductions.
                    if [.sum, .mean, .max, .min].contains(kind) { return x }
                    requested = []
                } else {
                    requested = nil
                }
            }
        } else if let attribute = node.ints("axes"), !attribute.isEmpty {
            requested = attribute
        }
        let axes = Set(try requested.map { try node.normalizedAxes($0, rank: x.rank) } ?? Array(0..<x.rank))
        let keptShape = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        let keepDims = node.int("keepdims", default: 1) == 1
        let outShape = keepDims ? keptShape : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        let outCount = keptShape.reduce(1, *)
        let reducedCount = axes.reduce(1) { $0 * x.shape[$1] }
        // The output (kept shape) broadcast over the input gives each input
        // element's accumulator offset.
        guard let plan = BroadcastPlan([x.shape, keptShape], to: x.shape) else {
            throw LatheError.internalFailure("reduction plan for \(x.shape)")
        }

        if x.isFloat {
            var result: [Float]
            switch kind {
            case .sum, .mean, .l1, .l2, .sumSquare, .logSum:
                // Sums of the elements or of a transform of them, in Double, then the op's finishing step.
                var acc = [Double](repeating: 0, count: outCount)
                switch kind {
                case .l1: accumulate(x.floats, into: &acc, plan: plan) { $0 + Double(Swift.abs($1)) }
                case .l2, .sumSquare: accumulate(x.floats, into: &acc, plan: plan) { $0 + Double($1) * Double($1) }
                default: accumulate(x.floats, into: &acc, plan: plan) { $0 + Double($1) }
                }
                switch kind {
                case .mean:
                    let scale = 1 / Double(reducedCount)
                    result = acc.map { Float($0 * scale) }
                case .l2: result = acc.map { Float($0.squareRoot()) }
                case .logSum: result = acc.map { Float(Foundation.log($0)) }
                default: result = acc.map { Float($0) }
                }
            case .prod:
                var acc = [Double](repeating: 1, count: outCount)
                accumulate(x.floats, into: &acc, plan: plan) { $0 * Double($1) }
                result = acc.map { Float($0) }
            case .logSumExp:
                result = logSumExp(x.floats, outCount: outCount, plan: plan)
            case .max:
                result = [Float](repeating: -.infinity, count: outCount)
                accumulate(x.floats, into: &result, plan: plan) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
            case .min:
                result = [Float](repeating: .infinity, count: outCount)
                accumulate(x.floats, into: &result, plan: plan) { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
            }
            return .floating(shape: outShape, result, dtype: x.dtype)
        }
        var result: [Int64]
        switch kind {
        case .sum, .mean:
            result = [Int64](repeating: 0, count: outCount)
            accumulate(x.ints, into: &result, plan: plan) { $0 &+ $1 }
            if kind == .mean, reducedCount > 0 { result = result.map { $0 / Int64(reducedCount) } }
        case .prod:
            result = [Int64](repeating: 1, count: outCount)
            accumulate(x.ints, into: &result, plan: plan) { $0 &* $1 }
        case .l1:
            result = [Int64](repeating: 0, count: outCount)
            accumulate(x.ints, into: &result, plan: plan) { $0 &+ ($1 < 0 ? 0 &- $1 : $1) }
        case .sumSquare:
            result = [Int64](repeating: 0, count: outCount)
            accumulate(x.ints, into: &result, plan: plan) { $0 &+ $1 &* $1 }
        case .l2, .logSum, .logSumExp:
            // Computed in Double and truncated toward zero, as onnxruntime casts its float result back;
            // out of range (log 0 = -inf) saturates to the type's own bounds, not Int64's wrapped.
            let floats = logSumExpOrRoot(kind, x.ints.map { Double($0) }, outCount: outCount, plan: plan)
            let bounds = x.dtype.integerRange ?? Int64.min...Int64.max
            result = floats.map { Swift.min(Swift.max(Arithmetic.saturatingInt64($0), bounds.lowerBound), bounds.upperBound) }
        case .max:
            // An empty reduction yields the type's least value (false for bool), not Int64.min cast to the type.
            result = [Int64](repeating: extremes(of: x.dtype).least, count: outCount)
            if x.dtype == .uint64 {
                accumulate(x.ints, into: &result, plan: plan) { UInt64(bitPattern: $0) >= UInt64(bitPattern: $1) ? $0 : $1 }
            } else {
                accumulate(x.ints, into: &result, plan: plan) { Swift.max($0, $1) }
            }
        case .min:
            result = [Int64](repeating: extremes(of: x.dtype).greatest, count: outCount)
            if x.dtype == .uint64 {
                accumulate(x.ints, into: &result, plan: plan) { UInt64(bitPattern: $0) <= UInt64(bitPattern: $1) ? $0 : $1 }
            } else {
                accumulate(x.ints, into: &result, plan: plan) { Swift.min($0, $1) }
            }
        }
        return .integer(shape: outShape, result, dtype: x.dtype)
    }

    /// log Σ exp(x) per output, shifted by each output's maximum so large
    /// values do not overflow (as onnxruntime computes it); an infinite or
    /// empty maximum is not subtracted, so ±inf comes out as exp and log give it.
    static func logSumExp(_ values: [Float], outCount: Int, plan: BroadcastPlan) -> [Float] {
        logSumExpOrRoot(.logSumExp, values.map { Double($0) }, outCount: outCount, plan: plan).map { Float($0) }
    }

    /// ReduceL2, ReduceLogSum or ReduceLogSumExp of values already in Double.
    static func logSumExpOrRoot(_ kind: Kind, _ values: [Double], outCount: Int, plan: BroadcastPlan) -> [Double] {
        var sums = [Double](repeating: 0, count: outCount)
        switch kind {
        case .l2:
            accumulate(values, into: &sums, plan: plan) { $0 + $1 * $1 }
            return sums.map { $0.squareRoot() }
        case .logSum:
            accumulate(values, into: &sums, plan: plan) { $0 + $1 }
            return sums.map { Foundation.log($0) }
        default:
            var maxima = [Double](repeating: -.infinity, count: outCount)
            accumulate(values, into: &maxima, plan: plan) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
            let shifts = maxima.map { $0.isFinite ? $0 : 0 }
            accumulateIndexed(values, into: &sums, plan: plan) { sum, value, out in sum + Foundation.exp(value - shifts[out]) }
            return zip(sums, shifts).map { Foundation.log($0) + $1 }
        }
    }

    /// `accumulate` whose step also gets the output element's offset.
    static func accumulateIndexed<T, A>(_ values: [T], into acc: inout [A], plan: BroadcastPlan, _ f: (A, T, Int) -> A) {
        values.withUnsafeBufferPointer { src in
            acc.withUnsafeMutableBufferPointer { dst in
                plan.forEachRun { offsets, _, run, inner in
                    let from = offsets[0], to = offsets[1]
                    if inner[1] == 0 {
                        for j in 0..<run { dst[to] = f(dst[to], src[from + j], to) }
                    } else {
                        for j in 0..<run { dst[to + j] = f(dst[to + j], src[from + j], to + j) }
                    }
                }
            }
        }
    }

    /// The least and greatest values of an integer or bool type, as stored in
    /// `Tensor.ints` (uint64 as its bit pattern): the results of ReduceMax and
    /// ReduceMin over an empty axis.
    static func extremes(of dtype: DType) -> (least: Int64, greatest: Int64) {
        switch dtype {
        case .bool: return (0, 1)
        case .uint64: return (0, -1)
        default:
            let range = dtype.integerRange ?? Int64.min...Int64.max
            return (range.lowerBound, range.upperBound)
        }
    }

    @inline(__always)
    static func accumulate<T, A>(_ values: [T], into acc: inout [A], plan: BroadcastPlan, _ f: (A, T) -> A) {
        values.withUnsafeBufferPointer { src in
            acc.withUnsafeMutableBufferPointer { dst in
                plan.forEachRun { offsets, _, run, inner in
                    let from = offsets[0], to = offsets[1]
                    if inner[1] == 0 {
                        var a = dst[to]
                        for j in 0..<run { a = f(a, src[from + j]) }
                        dst[to] = a
                    } else {
                        for j in 0..<run { dst[to + j] = f(dst[to + j], src[from + j]) }
                    }
                }
            }
        }
    }

    static let argMax: Kernel = { node, inputs in [try argExtreme(node, inputs, max: true)] }
    static let argMin: Kernel = { node, inputs in [try argExtreme(node, inputs, max: false)] }

    /// Index of the first (or, with select_last_index, last) extreme value
    /// along `axis`, as int64.
    static func argExtreme(_ node: Node, _ inputs: [Tensor?], max: Bool) throws -> Tensor {
        let x = try node.input(0, of: inputs, "data")
        let axis = try node.normalizedAxis(node.int("axis", default: 0), rank: x.rank)
        let length = x.shape[axis]
        guard length > 0 else { throw node.kernelError("cannot take the arg-extreme of empty axis \(axis) of shape \(x.shape)") }
        let last = node.int("select_last_index", default: 0) == 1
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        var shape = x.shape
        if node.int("keepdims", default: 1) == 1 { shape[axis] = 1 } else { shape.remove(at: axis) }
        let values = x.asFloatsOrInts
        var out = [Int64](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var best = 0
                for k in 1..<length {
                    let c = values.compare(base + k * inner, base + best * inner)
                    let better = max ? c > 0 : c < 0
                    if better || (last && c == 0) { best = k }
                }
                out[o * inner + i] = Int64(best)
            }
        }
        return Tensor(shape: shape, ints: out)
    }
}

/// Element access for comparisons that must be exact for int64 (beyond
/// Float's 24-bit mantissa) and for floats alike.
enum NumericValues {
    case floats([Float]), ints([Int64])

    /// −1, 0 or 1 as element i is below, equal to or above element j.
    func compare(_ i: Int, _ j: Int) -> Int {
        switch self {
        case .floats(let v): return v[i] < v[j] ? -1 : (v[i] > v[j] ? 1 : 0)
        case .ints(let v): return v[i] < v[j] ? -1 : (v[i] > v[j] ? 1 : 0)
        }
    }
}

extension Tensor {
    var asFloatsOrInts: NumericValues { isFloat ? .floats(floats) : .ints(ints) }
}
