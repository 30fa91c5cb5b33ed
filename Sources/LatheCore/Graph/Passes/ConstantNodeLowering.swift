/// Turns `Constant` nodes into initializers (exporters such as paddle2onnx
/// keep every weight in Constant nodes), so weight layers and constant folding
/// see them as the constants they are.
enum ConstantNodeLowering {
    static func apply(_ graph: inout Graph, path: String) throws {
        var kept: [Node] = []
        kept.reserveCapacity(graph.nodes.count)
        for node in graph.nodes {
            guard node.opType == "Constant", node.isDefaultDomain, let output = node.outputs.first else {
                kept.append(node)
                continue
            }
            graph.initializers[output] = try value(of: node, path: path)
        }
        graph.nodes = kept
    }

    static func value(of node: Node, path: String) throws -> Tensor {
        if let tensor = node.tensor("value") { return tensor }
        if let value = node.float("value_float"), case .float? = node.attributes["value_float"] {
            return .scalar(value)
        }
        if let values = node.floats("value_floats") { return Tensor(shape: [values.count], floats: values) }
        if let value = node.int("value_int") { return .scalar(int: Int64(value)) }
        if let values = node.ints("value_ints") { return Tensor(shape: [values.count], ints: values.map(Int64.init)) }
        let problem = "Constant node '\(node.displayName)' has no value Lathe can read "
            + "(attributes: \(node.attributes.keys.sorted().joined(separator: ", ")))"
        throw path.isEmpty ? LatheError.badInput(problem) : LatheError.badInput(file: path, problem)
    }
}
