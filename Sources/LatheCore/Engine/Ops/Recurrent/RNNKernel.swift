/// ONNX RNN (opsets 7–22), the simple recurrent layer. Inputs X, W, R, B,
/// sequence_lens, initial_h; outputs Y, Y_h:
///
///     Ht = f(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb)        (default f = Tanh)
///
/// `clip` bounds the input of f.
enum RNNKernel {
    static func run(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let problem = try RecurrentProblem(node: node, inputs: inputs, gates: 1)
        let (d, n, h) = (problem.directions, problem.batch, problem.hidden)
        let activations = try RecurrentActivation.list(of: node, defaults: [.tanh], directions: d)
        var hState = try problem.initialState(inputs, 5, "initial_h")
        let projection = problem.inputProjection()
        let rt = problem.recurrenceOperand()
        var y = [Float](repeating: 0, count: problem.steps * d * n * h)
        // One gate buffer per direction: directions run concurrently (`forEachDirection`).
        var gates = [Float](repeating: 0, count: max(d * n * h, 1))
        let bias = problem.combinedBias ?? [Float](repeating: 0, count: d * h)

        projection.withUnsafeBufferPointer { xwBuffer in
        rt.withUnsafeBufferPointer { rtBuffer in
        hState.withUnsafeMutableBufferPointer { hBuffer in
        y.withUnsafeMutableBufferPointer { yBuffer in
        gates.withUnsafeMutableBufferPointer { gBuffer in
        bias.withUnsafeBufferPointer { biasBuffer in
            guard let xw = xwBuffer.baseAddress, let rtAll = rtBuffer.baseAddress, let hAll = hBuffer.baseAddress,
                  let yp = yBuffer.baseAddress, let gAll = gBuffer.baseAddress, let biasAll = biasBuffer.baseAddress
            else { return }
            problem.forEachDirection { direction in
                let g = gAll + direction * n * h
                let f = activations[direction]
                let hs = hAll + direction * n * h
                let rtd = rtAll + direction * h * h
                let b = biasAll + direction * h
                for s in 0..<problem.steps {
                    let active = problem.activeEntries(step: s, reversed: problem.reversed[direction])
                    if active.isEmpty { break }
                    problem.recurrentProduct(state: hs, stateStride: h, weights: rtd, width: h, into: g)
                    for (entry, t) in active {
                        let pre = g + entry * h
                        let xRow = xw + problem.row(t: t, n: entry) * (d * h) + direction * h
                        for j in 0..<h { pre[j] += xRow[j] + b[j] }
                        problem.clip(pre, h)
                        f.apply(pre, h)
                        let hOut = hs + entry * h
                        let yRow = yp + problem.yOffset(t: t, d: direction, n: entry)
                        for j in 0..<h {
                            hOut[j] = pre[j]
                            yRow[j] = pre[j]
                        }
                    }
                }
            }
        }}}}}}
        return problem.outputs(y: y, states: [hState])
    }
}
