/// ONNX GRU (opsets 7–22). Inputs X, W, R, B, sequence_lens, initial_h;
/// outputs Y, Y_h. Gates in ONNX order z, r, h:
///
///     z = f(Xt·Wzᵀ + Ht-1·Rzᵀ + Wbz + Rbz)
///     r = f(Xt·Wrᵀ + Ht-1·Rrᵀ + Wbr + Rbr)
///     h = g(Xt·Whᵀ + (r ⊙ Ht-1)·Rhᵀ + Rbh + Wbh)          linear_before_reset = 0
///     h = g(Xt·Whᵀ + r ⊙ (Ht-1·Rhᵀ + Rbh) + Wbh)          linear_before_reset ≠ 0
///     Ht = (1 − z) ⊙ h + z ⊙ Ht-1
///
/// `clip` bounds the inputs of f and g. Without linear_before_reset a step
/// takes two GEMMs over the batch: H·[Rz; Rr]ᵀ, then (r ⊙ H)·Rhᵀ.
enum GRUKernel {
    static func run(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let problem = try RecurrentProblem(node: node, inputs: inputs, gates: 3)
        let (d, n, h) = (problem.directions, problem.batch, problem.hidden)
        let activations = try RecurrentActivation.list(of: node, defaults: [.sigmoid, .tanh], directions: d)
        let linearBeforeReset = node.int("linear_before_reset", default: 0) != 0
        var hState = try problem.initialState(inputs, 5, "initial_h")
        let projection = problem.inputProjection()
        let rt = problem.recurrenceOperand()
        var y = [Float](repeating: 0, count: problem.steps * d * n * h)
        let gh = problem.gateWidth
        // One gate and reset buffer per direction: directions run concurrently (`forEachDirection`).
        var gates = [Float](repeating: 0, count: max(d * n * gh, 1))
        var reset = [Float](repeating: 0, count: max(d * n * h, 1))
        // Bias per direction: z and r take Wb + Rb; the hidden gate Wbh (+ Rbh
        // when it is not inside r ⊙ (...)), and Rbh separately for linear_before_reset.
        var gateBias = [Float](repeating: 0, count: d * gh)
        var hiddenRecurrentBias = [Float](repeating: 0, count: d * h)
        if let b = problem.bias {
            for direction in 0..<d {
                let wb = direction * 2 * gh, rb = wb + gh
                for j in 0..<gh {
                    let recurrent = (linearBeforeReset && j >= 2 * h) ? 0 : b.floats[rb + j]
                    gateBias[direction * gh + j] = b.floats[wb + j] + recurrent
                }
                for j in 0..<h { hiddenRecurrentBias[direction * h + j] = b.floats[rb + 2 * h + j] }
            }
        }

        projection.withUnsafeBufferPointer { xwBuffer in
        rt.withUnsafeBufferPointer { rtBuffer in
        hState.withUnsafeMutableBufferPointer { hBuffer in
        y.withUnsafeMutableBufferPointer { yBuffer in
        gates.withUnsafeMutableBufferPointer { gBuffer in
        reset.withUnsafeMutableBufferPointer { resetBuffer in
        gateBias.withUnsafeBufferPointer { biasBuffer in
        hiddenRecurrentBias.withUnsafeBufferPointer { rbhBuffer in
            guard let xw = xwBuffer.baseAddress, let rtAll = rtBuffer.baseAddress, let hAll = hBuffer.baseAddress,
                  let yp = yBuffer.baseAddress, let gAll = gBuffer.baseAddress, let rhAll = resetBuffer.baseAddress,
                  let biasAll = biasBuffer.baseAddress, let rbhAll = rbhBuffer.baseAddress
            else { return }
            problem.forEachDirection { direction in
                let g = gAll + direction * n * gh, rh = rhAll + direction * n * h
                let f = activations[2 * direction], gAct = activations[2 * direction + 1]
                let hs = hAll + direction * n * h
                let rtd = rtAll + direction * h * gh
                let bias = biasAll + direction * gh, rbh = rbhAll + direction * h
                for s in 0..<problem.steps {
                    let active = problem.activeEntries(step: s, reversed: problem.reversed[direction])
                    if active.isEmpty { break }
                    problem.recurrentProduct(state: hs, stateStride: h, weights: rtd,
                                             width: linearBeforeReset ? gh : 2 * h, into: g)
                    // Update and reset gates.
                    for (entry, t) in active {
                        let pre = g + entry * gh
                        let xRow = xw + problem.row(t: t, n: entry) * (d * gh) + direction * gh
                        for j in 0..<(2 * h) { pre[j] += xRow[j] + bias[j] }
                        problem.clip(pre, 2 * h)
                        f.apply(pre, 2 * h)
                        if !linearBeforeReset {
                            let r = pre + h, hPrev = hs + entry * h, out = rh + entry * h
                            for j in 0..<h { out[j] = r[j] * hPrev[j] }
                        }
                    }
                    if !linearBeforeReset {
                        problem.recurrentProduct(state: rh, stateStride: h, weights: rtd, column: 2 * h, width: h,
                                                 into: g + 2 * h)
                    }
                    // Hidden gate and the new state.
                    for (entry, t) in active {
                        let pre = g + entry * gh
                        let z = pre, r = pre + h, candidate = pre + 2 * h
                        let xRow = xw + problem.row(t: t, n: entry) * (d * gh) + direction * gh + 2 * h
                        if linearBeforeReset {
                            for j in 0..<h { candidate[j] = xRow[j] + bias[2 * h + j] + r[j] * (candidate[j] + rbh[j]) }
                        } else {
                            for j in 0..<h { candidate[j] += xRow[j] + bias[2 * h + j] }
                        }
                        problem.clip(candidate, h)
                        gAct.apply(candidate, h)
                        let hPrev = hs + entry * h
                        let yRow = yp + problem.yOffset(t: t, d: direction, n: entry)
                        for j in 0..<h {
                            let value = (1 - z[j]) * candidate[j] + z[j] * hPrev[j]
                            hPrev[j] = value
                            yRow[j] = value
                        }
                    }
                }
            }
        }}}}}}}}
        return problem.outputs(y: y, states: [hState])
    }
}
