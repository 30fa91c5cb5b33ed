import CLatheBLAS

/// What LSTM, GRU and RNN share (ONNX opsets 7–22): the inputs X, W, R, B,
/// sequence_lens, initial_h checked against each other, the attributes
/// direction, hidden_size, clip and layout, the input projection X·Wᵀ for
/// every time step and direction in one GEMM, and the output tensors.
///
/// Shapes (layout 0 / layout 1): X [T, N, I] / [N, T, I]; W [D, G·H, I];
/// R [D, G·H, H]; B [D, 2·G·H]; sequence_lens [N]; initial_h [D, N, H] /
/// [N, D, H]; Y [T, D, N, H] / [N, T, D, H]; Y_h, Y_c like initial_h.
/// G is the number of gates (LSTM 4, GRU 3, RNN 1), D 2 when bidirectional.
///
/// Padded steps (t ≥ sequence_lens[n]) leave Y zero and the state unchanged,
/// so Y_h / Y_c hold the last valid step; a sequence of length 0 has zero
/// Y_h / Y_c (as onnxruntime computes them).
struct RecurrentProblem {
    let node: Node
    let gates: Int
    let x: Tensor
    let w: Tensor
    let r: Tensor
    let steps: Int
    let batch: Int
    let inputSize: Int
    let hidden: Int
    let directions: Int
    /// Direction d runs backwards in time (reverse, or the second of bidirectional).
    let reversed: [Bool]
    let layout: Int
    let clip: Float?
    /// Valid steps per batch entry.
    let lengths: [Int]
    /// Wb + Rb per direction, [D, G·H], or nil without B.
    let combinedBias: [Float]?
    /// B as given ([D, 2·G·H]), for GRU's separate Rb of the hidden gate.
    let bias: Tensor?

    init(node: Node, inputs: [Tensor?], gates: Int) throws {
        self.node = node
        self.gates = gates
        let x = try node.floatInput(inputs, 0, "X")
        let w = try node.floatInput(inputs, 1, "W")
        let r = try node.floatInput(inputs, 2, "R")
        guard x.rank == 3 else {
            throw node.kernelError("input X has shape \(shapeText(x.shape)); rank 3 is needed")
        }
        guard w.rank == 3, r.rank == 3 else {
            throw node.kernelError("W \(shapeText(w.shape)) and R \(shapeText(r.shape)) must both have rank 3 "
                + "[num_directions, \(gates)·hidden_size, ...]")
        }
        let layout = node.int("layout", default: 0)
        guard layout == 0 || layout == 1 else { throw node.kernelError("layout \(layout) must be 0 or 1") }
        let direction = node.string("direction") ?? "forward"
        let directions: Int
        switch direction {
        case "forward", "reverse": directions = 1
        case "bidirectional": directions = 2
        default: throw node.kernelError("direction '\(direction)' must be forward, reverse or bidirectional")
        }
        let hidden = node.int("hidden_size") ?? r.shape[2]
        guard hidden > 0 else { throw node.kernelError("hidden_size \(hidden) must be positive") }
        let steps = layout == 0 ? x.shape[0] : x.shape[1]
        let batch = layout == 0 ? x.shape[1] : x.shape[0]
        let inputSize = x.shape[2]
        guard w.shape == [directions, gates * hidden, inputSize] else {
            throw node.kernelError("W has shape \(shapeText(w.shape)); [\(directions), \(gates * hidden), \(inputSize)] "
                + "expected for direction \(direction), hidden_size \(hidden) and input size \(inputSize)")
        }
        guard r.shape == [directions, gates * hidden, hidden] else {
            throw node.kernelError("R has shape \(shapeText(r.shape)); [\(directions), \(gates * hidden), \(hidden)] expected")
        }
        if let clip = node.float("clip") {
            guard clip > 0 else { throw node.kernelError("clip \(clip) must be positive") }
            self.clip = clip
        } else {
            self.clip = nil
        }

        var bias: Tensor?
        var combined: [Float]?
        if let b = node.optionalInput(inputs, 3) {
            guard b.isFloat, b.shape == [directions, 2 * gates * hidden] else {
                throw node.kernelError("B has shape \(shapeText(b.shape)) and type \(b.dtype.rawValue); "
                    + "float [\(directions), \(2 * gates * hidden)] expected")
            }
            bias = b
            let gh = gates * hidden
            var sum = [Float](repeating: 0, count: directions * gh)
            for d in 0..<directions {
                for j in 0..<gh { sum[d * gh + j] = b.floats[d * 2 * gh + j] + b.floats[d * 2 * gh + gh + j] }
            }
            combined = sum
        }

        var lengths = [Int](repeating: steps, count: batch)
        if let s = node.optionalInput(inputs, 4) {
            guard !s.isFloat, s.count == batch else {
                throw node.kernelError("sequence_lens has shape \(shapeText(s.shape)) and type \(s.dtype.rawValue); "
                    + "an integer vector of the batch size \(batch) is needed")
            }
            for (n, value) in s.ints.enumerated() {
                guard value >= 0, value <= Int64(steps) else {
                    throw node.kernelError("sequence_lens[\(n)] is \(value); it must lie in 0...\(steps) (the sequence length)")
                }
                lengths[n] = Int(value)
            }
        }
        _ = try node.checkedOutputShape([steps, directions, batch, hidden])
        _ = try node.checkedOutputShape([steps * batch, directions * gates * hidden])

        self.x = x
        self.w = w
        self.r = r
        self.steps = steps
        self.batch = batch
        self.inputSize = inputSize
        self.hidden = hidden
        self.directions = directions
        self.reversed = (0..<directions).map { $0 == 1 || direction == "reverse" }
        self.layout = layout
        self.lengths = lengths
        self.bias = bias
        self.combinedBias = combined
    }

    var gateWidth: Int { gates * hidden }

    /// An initial state input (initial_h, initial_c) as [D, N, H] in row-major
    /// order whatever the layout; zeros when omitted.
    func initialState(_ inputs: [Tensor?], _ index: Int, _ role: String) throws -> [Float] {
        let count = directions * batch * hidden
        guard let t = node.optionalInput(inputs, index) else { return [Float](repeating: 0, count: count) }
        let expected = layout == 0 ? [directions, batch, hidden] : [batch, directions, hidden]
        guard t.isFloat, t.shape == expected else {
            throw node.kernelError("\(role) has shape \(shapeText(t.shape)) and type \(t.dtype.rawValue); "
                + "float \(shapeText(expected)) expected")
        }
        return layout == 0 ? t.floats : Self.swapLeadingAxes(t.floats, batch, directions, hidden)
    }

    /// [a, b, h] → [b, a, h].
    static func swapLeadingAxes(_ values: [Float], _ a: Int, _ b: Int, _ h: Int) -> [Float] {
        if a == 1 || b == 1 { return values }
        var result = values
        for i in 0..<a {
            for j in 0..<b {
                for k in 0..<h { result[(j * a + i) * h + k] = values[(i * b + j) * h + k] }
            }
        }
        return result
    }

    /// Row of X (and of the input projection) holding time step t of batch entry n.
    @inline(__always)
    func row(t: Int, n: Int) -> Int { layout == 0 ? t * batch + n : n * steps + t }

    /// Offset of Y's [H] vector at time t, direction d, batch entry n.
    @inline(__always)
    func yOffset(t: Int, d: Int, n: Int) -> Int {
        layout == 0 ? ((t * directions + d) * batch + n) * hidden : ((n * steps + t) * directions + d) * hidden
    }

    /// X·Wᵀ for every (time step, batch entry) row and every direction in one
    /// GEMM: [T·N, D·G·H], row `row(t:n:)`, direction d's gates at d·G·H.
    func inputProjection() -> [Float] {
        let rows = steps * batch, columns = directions * gateWidth
        return uninitializedFloats(rows * columns) { out in
            guard let o = out.baseAddress else { return }
            guard rows > 0, columns > 0 else { return }
            guard inputSize > 0 else { o.initialize(repeating: 0, count: rows * columns); return }
            x.floats.withUnsafeBufferPointer { xb in
                w.floats.withUnsafeBufferPointer { wb in
                    guard let xp = xb.baseAddress, let wp = wb.baseAddress else { return }
                    // W [D, G·H, I] is the matrix [D·G·H, I].
                    ParallelGemm.sgemm(transB: true, m: rows, n: columns, k: inputSize, a: xp, lda: inputSize,
                                       b: wp, ldb: inputSize, c: o, ldc: columns)
                }
            }
        }
    }

    /// R in the layout each step's product reads (`recurrentProduct`), [D, G·H·H]:
    /// as stored ([G·H, H] per direction) for a batch of one, whose product is a
    /// matrix–vector one that reads R's rows directly; otherwise Rᵀ [H, G·H] per
    /// direction, so the product is a plain no-transpose GEMM (OpenBLAS runs
    /// small-batch no-trans × trans poorly). A GEMM of one row made OpenBLAS pack
    /// all of R at every step, and the transposition itself took a third of a
    /// fixed-batch-1 CRNN's time (ddddocr's recognizer, H = 512).
    func recurrenceOperand() -> [Float] {
        batch == 1 ? r.floats : transposedRecurrence()
    }

    /// R[d]ᵀ as [H, G·H] per direction, in tiles that stay in cache on both sides.
    func transposedRecurrence() -> [Float] {
        let gh = gateWidth, tile = 32
        var result = [Float](repeating: 0, count: directions * hidden * gh)
        r.floats.withUnsafeBufferPointer { rb in
            result.withUnsafeMutableBufferPointer { out in
                guard let source = rb.baseAddress, let target = out.baseAddress else { return }
                for d in 0..<directions {
                    let src = source + d * gh * hidden, dst = target + d * hidden * gh
                    for j0 in stride(from: 0, to: gh, by: tile) {
                        for k0 in stride(from: 0, to: hidden, by: tile) {
                            for j in j0..<min(j0 + tile, gh) {
                                for k in k0..<min(k0 + tile, hidden) { dst[k * gh + j] = src[j * hidden + k] }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Clamps `count` values to ±clip in place (no-op without clip).
    @inline(__always)
    func clip(_ values: UnsafeMutablePointer<Float>, _ count: Int) {
        guard let clip else { return }
        let low = -clip
        for i in 0..<count { values[i] = Swift.min(Swift.max(values[i], low), clip) }
    }

    /// Batch entries with a step at step index s, and the time step each is at:
    /// forward t = s, backwards t = length − 1 − s.
    func activeEntries(step s: Int, reversed: Bool) -> [(n: Int, t: Int)] {
        var result: [(n: Int, t: Int)] = []
        result.reserveCapacity(batch)
        for n in 0..<batch where s < lengths[n] {
            result.append((n, reversed ? lengths[n] - 1 - s : s))
        }
        return result
    }

    /// Output tensors in the node's order, with the dtype of X; Y from [T, D, N, H]
    /// storage already in the layout's order, states from [D, N, H].
    func outputs(y: [Float], states: [[Float]]) -> [Tensor] {
        let yShape = layout == 0 ? [steps, directions, batch, hidden] : [batch, steps, directions, hidden]
        let stateShape = layout == 0 ? [directions, batch, hidden] : [batch, directions, hidden]
        var result = [Tensor(shape: yShape, floats: y, dtype: x.dtype)]
        for var state in states {
            // A sequence of length 0 ends with zero state.
            for n in 0..<batch where lengths[n] == 0 {
                for d in 0..<directions {
                    for k in 0..<hidden { state[(d * batch + n) * hidden + k] = 0 }
                }
            }
            let ordered = layout == 0 ? state : Self.swapLeadingAxes(state, directions, batch, hidden)
            result.append(Tensor(shape: stateShape, floats: ordered, dtype: x.dtype))
        }
        return result
    }

    /// Runs `body` for each direction; the two of a bidirectional layer concurrently when the op may split
    /// (`OpParallelism`): they share nothing but the read-only inputs, and each writes its own state, Y slots and
    /// (in the kernels) gate buffer, so the results are the same bits either way. A fixed-batch-1 recognizer
    /// otherwise leaves one core idle through its whole recurrence.
    func forEachDirection(_ body: (Int) -> Void) {
        OpParallelism.forEachPart(of: directions, work: steps * batch * gateWidth * hidden) { range in
            for direction in range { body(direction) }
        }
    }

    /// `out[n, :] = hState[n, :] · R[column ..< column + width]ᵀ` over the whole batch, where
    /// `weights` is direction d's part of `recurrenceOperand()` and `out` rows have stride G·H.
    @inline(__always)
    func recurrentProduct(state: UnsafePointer<Float>, stateStride: Int, weights: UnsafePointer<Float>,
                          column: Int = 0, width: Int, into out: UnsafeMutablePointer<Float>) {
        let gh = gateWidth
        if batch == 1 {
            lathe_sgemv(0, Int32(width), Int32(hidden), 1, weights + column * hidden,
                        Int32(hidden), state, 1, 0, out, 1)
        } else {
            lathe_sgemm(0, 0, Int32(batch), Int32(width), Int32(hidden),
                        1, state, Int32(stateStride), weights + column, Int32(gh), 0, out, Int32(gh))
        }
    }
}

extension Node {
    /// A strings attribute (the `activations` list of recurrent ops).
    func recurrentStrings(_ key: String) -> [String]? {
        if case .strings(let values)? = attributes[key] { return values }
        return nil
    }
}
