/// Numpy-style multidirectional broadcasting, shared by every elementwise op.
///
/// A plan aligns the input shapes to the output's rank, drops size-1 output
/// axes and merges neighbouring axes that every input treats alike (all
/// broadcast or all full). `[N,C,H,W] + [C,1,1]` thus runs as a 3-axis loop
/// `[N, C, H·W]` whose inner loop sees a scalar, and same-shape or
/// scalar operands become a single flat loop.
struct BroadcastPlan {
    let outputShape: [Int]
    let outputCount: Int
    /// Merged iteration axes (outer to inner).
    let dims: [Int]
    /// Per input: element stride along each merged axis (0 where broadcast).
    let strides: [[Int]]

    /// Plans iterating `inputShapes` broadcast to their common shape (or to
    /// `target`, which must then be that common shape); nil when incompatible.
    init?(_ inputShapes: [[Int]]) {
        guard let out = broadcastShape(inputShapes) else { return nil }
        self.init(inputShapes, to: out)
    }

    /// Plans iterating inputs that each broadcast unidirectionally to `out`.
    init?(_ inputShapes: [[Int]], to out: [Int]) {
        let rank = out.count
        // Aligned shapes: leading 1s added.
        var aligned: [[Int]] = []
        for shape in inputShapes {
            guard shape.count <= rank else { return nil }
            let padded = [Int](repeating: 1, count: rank - shape.count) + shape
            for axis in 0..<rank where padded[axis] != out[axis] && padded[axis] != 1 { return nil }
            aligned.append(padded)
        }
        outputShape = out
        outputCount = out.reduce(1, *)

        // Axes of size 1 in the output contribute nothing; merge the rest.
        var mergedDims: [Int] = []
        var mergedFull: [[Bool]] = []   // per merged axis, per input: full (not broadcast)
        for axis in 0..<rank where out[axis] != 1 {
            let full = aligned.map { $0[axis] != 1 }
            if let lastFull = mergedFull.last, lastFull == full {
                mergedDims[mergedDims.count - 1] *= out[axis]
            } else {
                mergedDims.append(out[axis])
                mergedFull.append(full)
            }
        }
        dims = mergedDims
        var allStrides: [[Int]] = []
        for input in 0..<inputShapes.count {
            var s = [Int](repeating: 0, count: mergedDims.count)
            var acc = 1
            for axis in stride(from: mergedDims.count - 1, through: 0, by: -1) where mergedFull[axis][input] {
                s[axis] = acc
                acc *= mergedDims[axis]
            }
            allStrides.append(s)
        }
        strides = allStrides
    }

    /// Calls `body(offsets, count, innerStrides)` for every contiguous run of
    /// the innermost merged axis, where `offsets` are each input's element
    /// offset at the start of the run.
    @inline(__always)
    func forEachRun(_ body: (_ offsets: [Int], _ outStart: Int, _ count: Int, _ innerStrides: [Int]) -> Void) {
        if outputCount == 0 { return }
        let inputs = strides.count
        if dims.isEmpty {
            body([Int](repeating: 0, count: inputs), 0, 1, [Int](repeating: 0, count: inputs))
            return
        }
        let last = dims.count - 1
        let inner = dims[last]
        let innerStrides = strides.map { $0[last] }
        var index = [Int](repeating: 0, count: last)
        var offsets = [Int](repeating: 0, count: inputs)
        var outStart = 0
        while true {
            body(offsets, outStart, inner, innerStrides)
            outStart += inner
            // Odometer over the outer axes.
            var axis = last - 1
            while axis >= 0 {
                index[axis] += 1
                for i in 0..<inputs { offsets[i] += strides[i][axis] }
                if index[axis] < dims[axis] { break }
                for i in 0..<inputs { offsets[i] -= strides[i][axis] * dims[axis] }
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}

/// Elementwise maps over broadcast operands, generic over element types so
/// float and integer tensors share one implementation.
enum Broadcasting {
    /// `f(a, b)` over the broadcast of `a` and `b` (the plan's two inputs). Large maps of up to
    /// two merged axes (same shapes, a scalar or a per-row operand) split over the op's workers;
    /// every element is computed alone, so the split changes no bits.
    @inline(__always)
    static func map<A, B, R>(_ a: [A], _ b: [B], plan: BroadcastPlan, _ f: (A, B) -> R) -> [R] {
        let n = plan.outputCount
        if n == 0 { return [] }
        return [R](unsafeUninitializedCapacity: n) { out, count in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    guard let o = out.baseAddress, let a0 = pa.baseAddress, let b0 = pb.baseAddress else { return }
                    fill(o, a0, a.count, b0, b.count, plan: plan, f)
                }
            }
            count = n
        }
    }

    /// `map` into `o` (the plan's output count of elements). `o` may be the storage of an operand with the
    /// output's shape: each element is read before the one value written in its place.
    @inline(__always)
    static func fill<A, B, R>(_ o: UnsafeMutablePointer<R>, _ a0: UnsafePointer<A>, _ aCount: Int,
                              _ b0: UnsafePointer<B>, _ bCount: Int, plan: BroadcastPlan, _ f: (A, B) -> R) {
        let n = plan.outputCount
        // Each run works on base pointers, so the loops carry no index
        // arithmetic to overflow-check and vectorise.
        @inline(__always)
        func run(_ oa: Int, _ ob: Int, _ start: Int, _ count: Int, _ sa: Int, _ sb: Int) {
            let x = a0 + oa, y = b0 + ob, z = o + start
            if sa == 1 && sb == 1 {
                for j in 0..<count { (z + j).initialize(to: f(x[j], y[j])) }
            } else if sa == 1 {
                let v = y.pointee
                for j in 0..<count { (z + j).initialize(to: f(x[j], v)) }
            } else if sb == 1 {
                let u = x.pointee
                for j in 0..<count { (z + j).initialize(to: f(u, y[j])) }
            } else {
                let v = f(x.pointee, y.pointee)
                for j in 0..<count { (z + j).initialize(to: v) }
            }
        }
        if aCount == n && bCount == n {
            // Same shape: one flat loop (the common case for residual adds).
            OpParallelism.forEachPart(of: n, work: n) { part in
                run(part.lowerBound, part.lowerBound, part.lowerBound, part.count, 1, 1)
            }
        } else if plan.dims.count == 1 {
            // One operand a scalar.
            let sa = plan.strides[0][0], sb = plan.strides[1][0]
            OpParallelism.forEachPart(of: n, work: n) { part in
                run(part.lowerBound &* sa, part.lowerBound &* sb, part.lowerBound, part.count, sa, sb)
            }
        } else if plan.dims.count == 2 {
            // [rows, columns] (a bias over the last axis, a per-row scale): no odometer.
            let rows = plan.dims[0], columns = plan.dims[1]
            let sa = plan.strides[0], sb = plan.strides[1]
            OpParallelism.forEachPart(of: rows, work: n) { part in
                for r in part { run(r &* sa[0], r &* sb[0], r &* columns, columns, sa[1], sb[1]) }
            }
        } else {
            plan.forEachRun { offsets, start, count, inner in
                run(offsets[0], offsets[1], start, count, inner[0], inner[1])
            }
        }
    }

    /// `f(c, x, y)` over the broadcast of three operands (Where).
    @inline(__always)
    static func map3<C, A, B, R>(_ c: [C], _ a: [A], _ b: [B], plan: BroadcastPlan, _ f: (C, A, B) -> R) -> [R] {
        let n = plan.outputCount
        if n == 0 { return [] }
        return [R](unsafeUninitializedCapacity: n) { out, count in
            c.withUnsafeBufferPointer { pc in
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        let o = out.baseAddress!
                        plan.forEachRun { offsets, start, run, inner in
                            var oc = offsets[0], oa = offsets[1], ob = offsets[2]
                            for j in 0..<run {
                                (o + start + j).initialize(to: f(pc[oc], pa[oa], pb[ob]))
                                oc += inner[0]; oa += inner[1]; ob += inner[2]
                            }
                        }
                    }
                }
            }
            count = n
        }
    }

    /// `values` (shape planned as the single input of `plan`) materialised at
    /// the plan's output shape (Expand, and operands of variadic ops).
    static func expand<T>(_ values: [T], plan: BroadcastPlan) -> [T] {
        let n = plan.outputCount
        if values.count == n || n == 0 { return n == 0 ? [] : values }
        return [T](unsafeUninitializedCapacity: n) { out, count in
            values.withUnsafeBufferPointer { pv in
                let o = out.baseAddress!
                plan.forEachRun { offsets, start, run, inner in
                    let ov = offsets[0]
                    if inner[0] == 1 {
                        for j in 0..<run { (o + start + j).initialize(to: pv[ov + j]) }
                    } else {
                        let v = pv[ov]
                        for j in 0..<run { (o + start + j).initialize(to: v) }
                    }
                }
            }
            count = n
        }
    }
}
