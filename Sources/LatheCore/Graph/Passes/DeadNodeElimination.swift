/// Keeps only the nodes needed to compute the wanted values, so that nodes on
/// other branches (an sklearn `label` branch with ai.onnx.ml ops, say) are
/// never validated nor executed.
enum DeadNodeElimination {
    static func apply(_ graph: inout Graph, keeping wanted: Set<String>) {
        var needed = wanted
        var keep = [Bool](repeating: false, count: graph.nodes.count)
        for index in graph.nodes.indices.reversed() {
            let node = graph.nodes[index]
            guard node.outputs.contains(where: { needed.contains($0) }) else { continue }
            keep[index] = true
            for input in node.inputs where !input.isEmpty { needed.insert(input) }
        }
        graph.nodes = graph.nodes.indices.filter { keep[$0] }.map { graph.nodes[$0] }
        graph.initializers = graph.initializers.filter { needed.contains($0.key) }
        graph.inputs = graph.inputs.filter { needed.contains($0.name) }
    }
}
