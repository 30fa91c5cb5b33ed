extension ControlFlow {
    /// `If` (every opset): runs `then_branch` or `else_branch` by the run-time condition; the branches take
    /// no inputs of their own, only the captured outer values. A constant condition never gets here: the
    /// branch is inlined at load (`IfInlining`).
    static let ifKernel: SubgraphKernelMaker = { bodies in
        { node, inputs in
            let (declared, captures) = try split(node, inputs)
            let condition = try truth(try node.input(0, of: declared, "cond"), node, "cond")
            let key = condition ? "then_branch" : "else_branch"
            let program = try SubgraphProgram(try subgraph(node, key), owner: node, attribute: key,
                                              kernels: bodies.table)
            let outputs = try program.run(try present(captures, node))
            guard outputs.count >= node.outputs.count else {
                throw node.kernelError("\(key) returns \(outputs.count) values for \(node.outputs.count) outputs")
            }
            return outputs
        }
    }

    /// Captured values are never omitted (they are names some subgraph reads).
    static func present(_ values: [Tensor?], _ node: Node) throws -> [Tensor] {
        try values.map { value in
            guard let value else { throw node.kernelError("a value its subgraphs read from outside is missing") }
            return value
        }
    }
}
