/// Removes `Identity` and inference-mode `Dropout` nodes by pointing their
/// consumers at the node's input. A node whose output is a graph output is kept
/// (renaming a graph output would change what the user asked for).
enum IdentityElimination {
    static func apply(_ graph: inout Graph) {
        let graphOutputs = graph.outputNames
        var replacement: [String: String] = [:]
        var kept: [Node] = []
        kept.reserveCapacity(graph.nodes.count)
        let uses = GraphUses(graph)
        for var node in graph.nodes {
            node.inputs = node.inputs.map { replacement[$0] ?? $0 }
            if isPassThrough(node, uses: uses, constants: graph.initializers),
               let source = node.input(0), let output = node.outputs.first, !graphOutputs.contains(output) {
                replacement[output] = source
                continue
            }
            kept.append(node)
        }
        graph.nodes = kept
    }

    private static func isPassThrough(_ node: Node, uses: GraphUses, constants: [String: Tensor]) -> Bool {
        guard node.isDefaultDomain else { return false }
        switch node.opType {
        case "Identity":
            return true
        case "Dropout":
            // The mask output, if anyone reads it, needs the real op.
            if node.outputs.count > 1, !node.outputs[1].isEmpty, uses.uses(of: node.outputs[1]) > 0 { return false }
            // Opset 12+ takes training_mode as input 2; only a constant false is inference.
            if let mode = node.input(2) {
                guard let flag = constants[mode], let first = flag.asInts.first else { return false }
                return first == 0
            }
            return true
        default:
            return false
        }
    }
}
