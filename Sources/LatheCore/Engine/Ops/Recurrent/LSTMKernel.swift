/// ONNX LSTM (opsets 7–22). Inputs X, W, R, B, sequence_lens, initial_h,
/// initial_c, P; outputs Y, Y_h, Y_c. Gates in ONNX order i, o, f, c:
///
///     i = f(Xt·Wiᵀ + Ht-1·Riᵀ + Pi ⊙ Ct-1 + Wbi + Rbi)
///     f = f(Xt·Wfᵀ + Ht-1·Rfᵀ + Pf ⊙ Ct-1 + Wbf + Rbf)     (1 − i with input_forget)
///     c = g(Xt·Wcᵀ + Ht-1·Rcᵀ + Wbc + Rbc)
///     Ct = f ⊙ Ct-1 + i ⊙ c
///     o = f(Xt·Woᵀ + Ht-1·Roᵀ + Po ⊙ Ct + Wbo + Rbo)
///     Ht = o ⊙ h(Ct)
///
/// `clip` bounds the inputs of f and g (not of h, as onnxruntime does).
/// X·Wᵀ is one GEMM for all steps; each step is one GEMM H·Rᵀ over the batch
/// and per-row gate loops (see `RecurrentProblem`); the directions of a
/// bidirectional layer run concurrently.
enum LSTMKernel {
    static func run(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let problem = try RecurrentProblem(node: node, inputs: inputs, gates: 4)
        let (d, n, h) = (problem.directions, problem.batch, problem.hidden)
        let activations = try RecurrentActivation.list(of: node, defaults: [.sigmoid, .tanh, .tanh], directions: d)
        let inputForget = node.int("input_forget", default: 0) != 0
        var peepholes = [Float](repeating: 0, count: d * 3 * h)
        let hasPeepholes = node.optionalInput(inputs, 7) != nil
        if let p = node.optionalInput(inputs, 7) {
            guard p.isFloat, p.shape == [d, 3 * h] else {
                throw node.kernelError("P has shape \(shapeText(p.shape)) and type \(p.dtype.rawValue); "
                    + "float [\(d), \(3 * h)] expected")
            }
            peepholes = p.floats
        }
        var hState = try problem.initialState(inputs, 5, "initial_h")
        var cState = try problem.initialState(inputs, 6, "initial_c")
        let projection = problem.inputProjection()
        let rt = problem.recurrenceOperand()
        var y = [Float](repeating: 0, count: problem.steps * d * n * h)
        let gh = problem.gateWidth
        // One gate buffer per direction: directions run concurrently (`forEachDirection`).
        var gates = [Float](repeating: 0, count: max(d * n * gh, 1))
        let bias = problem.combinedBias ?? [Float](repeating: 0, count: d * gh)

        projection.withUnsafeBufferPointer { xwBuffer in
        rt.withUnsafeBufferPointer { rtBuffer in
        hState.withUnsafeMutableBufferPointer { hBuffer in
        cState.withUnsafeMutableBufferPointer { cBuffer in
        y.withUnsafeMutableBufferPointer { yBuffer in
        gates.withUnsafeMutableBufferPointer { gBuffer in
        bias.withUnsafeBufferPointer { biasBuffer in
        peepholes.withUnsafeBufferPointer { peepholeBuffer in
            guard let xw = xwBuffer.baseAddress, let rtAll = rtBuffer.baseAddress, let hAll = hBuffer.baseAddress,
                  let cAll = cBuffer.baseAddress, let yp = yBuffer.baseAddress, let gAll = gBuffer.baseAddress,
                  let biasAll = biasBuffer.baseAddress, let peepholeAll = peepholeBuffer.baseAddress
            else { return }
            problem.forEachDirection { direction in
                let g = gAll + direction * n * gh
                let f = activations[3 * direction], gAct = activations[3 * direction + 1]
                let hAct = activations[3 * direction + 2]
                let hs = hAll + direction * n * h, cs = cAll + direction * n * h
                let rtd = rtAll + direction * h * gh
                let b = biasAll + direction * gh
                let pi = peepholeAll + direction * 3 * h, po = pi + h, pf = pi + 2 * h
                for s in 0..<problem.steps {
                    let active = problem.activeEntries(step: s, reversed: problem.reversed[direction])
                    if active.isEmpty { break }
                    problem.recurrentProduct(state: hs, stateStride: h, weights: rtd, width: gh, into: g)
                    for (entry, t) in active {
                        let pre = g + entry * gh
                        let xRow = xw + problem.row(t: t, n: entry) * (d * gh) + direction * gh
                        for j in 0..<gh { pre[j] += xRow[j] + b[j] }
                        let gi = pre, go = pre + h, gf = pre + 2 * h, gc = pre + 3 * h
                        let cPrev = cs + entry * h, hOut = hs + entry * h
                        if hasPeepholes {
                            for j in 0..<h {
                                gi[j] += pi[j] * cPrev[j]
                                gf[j] += pf[j] * cPrev[j]
                            }
                        }
                        problem.clip(gi, h)
                        f.apply(gi, h)
                        if inputForget {
                            for j in 0..<h { gf[j] = 1 - gi[j] }
                        } else {
                            problem.clip(gf, h)
                            f.apply(gf, h)
                        }
                        problem.clip(gc, h)
                        gAct.apply(gc, h)
                        // Ct, in place of Ct-1.
                        for j in 0..<h { cPrev[j] = gf[j] * cPrev[j] + gi[j] * gc[j] }
                        if hasPeepholes {
                            for j in 0..<h { go[j] += po[j] * cPrev[j] }
                        }
                        problem.clip(go, h)
                        f.apply(go, h)
                        // h(Ct) in the cell gate's slot, then Ht = o ⊙ h(Ct).
                        for j in 0..<h { gc[j] = cPrev[j] }
                        hAct.apply(gc, h)
                        let yRow = yp + problem.yOffset(t: t, d: direction, n: entry)
                        for j in 0..<h {
                            let value = go[j] * gc[j]
                            hOut[j] = value
                            yRow[j] = value
                        }
                    }
                }
            }
        }}}}}}}}
        return problem.outputs(y: y, states: [hState, cState])
    }
}
