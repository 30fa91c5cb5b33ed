extension ControlFlow {
    /// `Scan`, opset 9 and later. Inputs: N initial states, then `num_scan_inputs` scan inputs cut into
    /// slices along `scan_input_axes` (walked backwards where `scan_input_directions` is 1). The body takes
    /// (N states, one slice of each scan input) and returns (N states, K scan values); the node returns the N
    /// final states and the K scan outputs, each step's value stacked along `scan_output_axes` (in reverse
    /// step order where `scan_output_directions` is 1).
    static let scanKernel: SubgraphKernelMaker = { bodies in
        { node, inputs in
            let (declared, captures) = try split(node, inputs)
            let body = try subgraph(node, "body")
            let (states, scanInputs) = try stateAndScanInputs(node, Array(declared))
            let scanOutputCount = try scanOutputs(of: body, node: node, states: states.count,
                                                  inputs: states.count + scanInputs.count + captures.count)
            let inputAxes = try zip(node.intsAttribute("scan_input_axes", count: scanInputs.count, default: 0),
                                    scanInputs).map { try node.normalizedAxis($0, rank: $1.rank) }
            let inputDirections = try node.intsAttribute("scan_input_directions", count: scanInputs.count, default: 0)
            let outputAxes = try node.intsAttribute("scan_output_axes", count: scanOutputCount, default: 0)
            let outputDirections = try node.intsAttribute("scan_output_directions", count: scanOutputCount,
                                                          default: 0)
            let length = try sequenceLength(scanInputs, axes: inputAxes, node: node)
            let outer = try present(captures, node)
            let fixed = byPosition(outer, from: body.inputs.count - outer.count)
            let program = try hoistedBody(body, of: node, bodies, fixed: fixed)
            let result = try scanSteps(program, node: node, states: states, scanInputs: scanInputs, axes: inputAxes,
                                       directions: inputDirections, steps: length)
            var outputs = result.states
            for index in 0..<scanOutputCount {
                var values = result.scanValues[index]
                if outputDirections[index] == 1 { values.reverse() }
                let declaredInfo = body.outputs[states.count + index]
                // The axis counts in the stacked output's rank, one more than a step's value.
                let elementRank = values.first?.rank ?? declaredInfo.dims?.count ?? 0
                let axis = try node.normalizedAxis(outputAxes[index], rank: elementRank + 1)
                outputs.append(try values.isEmpty ? AxisStacking.empty(declared: declaredInfo, axis: axis)
                    : AxisStacking.stack(values, axis: axis, node: node, role: "scan output \(index)"))
            }
            return outputs
        }
    }

    /// `Scan` opset 8: every input has a batch axis first, and the scan runs once per batch entry along
    /// axis 1; optional input 0 gives per-entry sequence lengths, which must be the full length here.
    static let scan8Kernel: SubgraphKernelMaker = { bodies in
        { node, inputs in
            let (declared, captures) = try split(node, inputs)
            guard !declared.isEmpty else { throw node.kernelError("has no inputs") }
            let body = try subgraph(node, "body")
            let (states, scanInputs) = try stateAndScanInputs(node, Array(declared.dropFirst()))
            let scanOutputCount = try scanOutputs(of: body, node: node, states: states.count,
                                                  inputs: states.count + scanInputs.count + captures.count)
            let directions = try node.intsAttribute("directions", count: scanInputs.count, default: 0)
            let all = states + scanInputs
            guard all.allSatisfy({ $0.rank >= 1 }), let batch = all.first?.shape[0],
                  all.allSatisfy({ $0.shape[0] == batch }), scanInputs.allSatisfy({ $0.rank >= 2 }) else {
                throw node.kernelError("every input needs the same batch size as its first dimension, and scan "
                    + "inputs a sequence axis after it; got shapes \(all.map(\.shape))")
            }
            let length = try sequenceLength(scanInputs, axes: scanInputs.map { _ in 1 }, node: node)
            if let lengths = declared[0], lengths.asInts.contains(where: { $0 != Int64(length) }) {
                throw node.kernelError("input sequence_lens gives sequences shorter than \(length); only full-length "
                    + "sequences are supported")
            }
            let outer = try present(captures, node)
            let fixed = byPosition(outer, from: body.inputs.count - outer.count)
            let program = try hoistedBody(body, of: node, bodies, fixed: fixed)
            var finalStates = [[Tensor]](repeating: [], count: states.count)
            var stackedOutputs = [[Tensor]](repeating: [], count: scanOutputCount)
            for entry in 0..<batch {
                let result = try scanSteps(
                    program, node: node, states: states.map { AxisStacking.slice($0, axis: 0, index: entry) },
                    scanInputs: scanInputs.map { AxisStacking.slice($0, axis: 0, index: entry) },
                    axes: scanInputs.map { _ in 0 }, directions: directions, steps: length)
                for (index, state) in result.states.enumerated() { finalStates[index].append(state) }
                for index in 0..<scanOutputCount {
                    let values = result.scanValues[index]
                    stackedOutputs[index].append(try values.isEmpty
                        ? AxisStacking.empty(declared: body.outputs[states.count + index], axis: 0)
                        : AxisStacking.stack(values, axis: 0, node: node, role: "scan output \(index)"))
                }
            }
            return try (finalStates + stackedOutputs).enumerated().map { index, values in
                try AxisStacking.stack(values, axis: 0, node: node, role: "output \(index)")
            }
        }
    }

    /// The declared inputs split into N states and `num_scan_inputs` scan inputs, all present.
    private static func stateAndScanInputs(_ node: Node, _ declared: [Tensor?]) throws
        -> (states: [Tensor], scanInputs: [Tensor]) {
        guard let scanCount = node.int("num_scan_inputs"), scanCount >= 1, scanCount <= declared.count else {
            throw node.kernelError("attribute num_scan_inputs must be between 1 and the number of inputs "
                + "(\(declared.count)), got \(node.int("num_scan_inputs").map(String.init) ?? "none")")
        }
        let values = try declared.enumerated().map { index, value in
            guard let value else { throw node.kernelError("input \(index) is missing") }
            return value
        }
        let stateCount = declared.count - scanCount
        return (Array(values[..<stateCount]), Array(values[stateCount...]))
    }

    /// How many scan outputs the body returns after its states, checking its input count.
    private static func scanOutputs(of body: Graph, node: Node, states: Int, inputs: Int) throws -> Int {
        guard body.inputs.count == inputs else {
            throw node.kernelError("body takes \(body.inputs.count) inputs; the node gives it \(inputs)")
        }
        guard body.outputs.count >= states else {
            throw node.kernelError("body returns \(body.outputs.count) values for \(states) states")
        }
        return body.outputs.count - states
    }

    /// The common length of the scan inputs along their scan axes.
    private static func sequenceLength(_ inputs: [Tensor], axes: [Int], node: Node) throws -> Int {
        let lengths = zip(inputs, axes).map { $0.shape[$1] }
        guard let first = lengths.first, lengths.allSatisfy({ $0 == first }) else {
            throw node.kernelError("scan inputs have different lengths along their scan axes: \(lengths)")
        }
        return first
    }

    /// Runs the body (its captured values bound) once per step, threading the states; returns the final states
    /// and, per scan output, the value of every step in step order.
    private static func scanSteps(_ program: SubgraphProgram.Hoisted, node: Node, states: [Tensor],
                                  scanInputs: [Tensor], axes: [Int], directions: [Int], steps: Int) throws
        -> (states: [Tensor], scanValues: [[Tensor]]) {
        var states = states
        var scanValues = [[Tensor]](repeating: [], count: program.outputCount - states.count)
        for step in 0..<steps {
            let slices = zip(scanInputs, zip(axes, directions)).map { input, placement in
                AxisStacking.slice(input, axis: placement.0, index: placement.1 == 1 ? steps - 1 - step : step)
            }
            let outputs = try program.run(states + slices)
            states = Array(outputs[..<states.count])
            for index in scanValues.indices { scanValues[index].append(outputs[states.count + index]) }
        }
        return (states, scanValues)
    }
}
