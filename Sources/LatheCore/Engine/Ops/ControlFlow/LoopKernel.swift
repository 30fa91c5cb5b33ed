extension ControlFlow {
    /// `Loop` (every opset). Inputs: trip count M and condition (each optional), then N loop-carried
    /// initial values. The body takes (iteration number, condition, N carried values) and returns
    /// (condition, N carried values, S scan values); the node returns the N final carried values and the S
    /// scan outputs, each iteration's value stacked along a new first axis. The body's condition output
    /// ends the loop only when the node has a condition input (ONNX's "for" form ignores it otherwise).
    static let loopKernel: SubgraphKernelMaker = { bodies in
        { node, inputs in
            let (declared, captures) = try split(node, inputs)
            guard declared.count >= 2 else {
                throw node.kernelError("needs inputs M and cond (either may be empty), got \(declared.count) inputs")
            }
            let body = try subgraph(node, "body")
            let carriedCount = declared.count - 2
            let scanCount = body.outputs.count - 1 - carriedCount
            guard scanCount >= 0 else {
                throw node.kernelError("body returns \(body.outputs.count) values; a condition and \(carriedCount) "
                    + "loop-carried values are needed")
            }
            guard body.inputs.count == 2 + carriedCount + captures.count else {
                throw node.kernelError("body takes \(body.inputs.count - captures.count) inputs; the iteration "
                    + "number, the condition and \(carriedCount) loop-carried values are needed")
            }
            let tripCount: Int64? = try declared[0].map { tensor in
                guard tensor.count == 1, !tensor.isFloat else {
                    throw node.kernelError("M must be a single integer, got \(tensor.dtype.rawValue) \(tensor.shape)")
                }
                return tensor.ints[0]
            }
            let conditionInput = try declared[1].map { try truth($0, node, "cond") }
            guard tripCount != nil || conditionInput != nil else {
                throw node.kernelError("has neither a trip count M nor a condition, so it would never end")
            }
            var carried: [Tensor] = try declared[2...].enumerated().map { index, value in
                guard let value else { throw node.kernelError("loop-carried input \(index) (v_initial) is missing") }
                return value
            }
            let outer = try present(captures, node)
            // Carried values the body returns as it got them (exporters thread weights through the loop this
            // way) are fixed, like the captured ones.
            let passedOn = (0..<carriedCount).filter { body.outputs[1 + $0].name == body.inputs[2 + $0].name }
            var fixed = byPosition(outer, from: 2 + carriedCount)
            for index in passedOn { fixed[2 + index] = carried[index] }
            let varying = (0..<carriedCount).filter { !passedOn.contains($0) }
            let program = try hoistedBody(body, of: node, bodies, fixed: fixed)

            var condition = conditionInput ?? true
            var scans = [[Tensor]](repeating: [], count: scanCount)
            var iteration: Int64 = 0
            while tripCount.map({ iteration < $0 }) ?? true, conditionInput == nil || condition {
                let feed: [Tensor] = [Tensor.scalar(int: iteration), boolean(condition)] + varying.map { carried[$0] }
                let outputs = try program.run(feed)
                if conditionInput != nil {
                    condition = try truth(outputs[0], node, "the body's condition output")
                } else {
                    condition = (try? truth(outputs[0], node, "")) ?? true // ignored; only passed on
                }
                carried = Array(outputs[1..<(1 + carriedCount)])
                for index in 0..<scanCount { scans[index].append(outputs[1 + carriedCount + index]) }
                iteration += 1
            }
            let stacked = try scans.enumerated().map { index, values in
                try values.isEmpty ? AxisStacking.empty(declared: body.outputs[1 + carriedCount + index], axis: 0)
                    : AxisStacking.stack(values, axis: 0, node: node, role: "scan output \(index)")
            }
            return carried + stacked
        }
    }
}
