/// The checks of `validate` inside subgraphs, so an unsupported op in a Loop
/// body or If branch is refused at load (exit 2, naming it) rather than when
/// the branch first runs. Subgraphs are closed by then (`SubgraphCaptures`):
/// every value they read is an input, an initializer or an earlier node's output.
extension ModelBinding {
    static func validateSubgraphs(of owner: Node, kernels: [String: Kernel], path: String) throws {
        for (attribute, graphs) in owner.subgraphs {
            for graph in graphs {
                let place = "the \(attribute) of \(owner.opType) node '\(owner.displayName)'"
                try validate(subgraph: graph, place: place, kernels: kernels, path: path)
            }
        }
    }

    private static func validate(subgraph: Graph, place: String, kernels: [String: Kernel], path: String) throws {
        var available = Set(subgraph.initializers.keys).union(subgraph.inputs.map(\.name))
        for node in subgraph.nodes {
            guard node.isDefaultDomain, kernels[node.opType] != nil else {
                let domain = node.isDefaultDomain ? "" : " (domain '\(node.domain)')"
                throw error(path, "node '\(node.displayName)' in \(place) uses op '\(node.opType)'\(domain), which "
                    + "Lathe does not support")
            }
            for input in node.inputs where !input.isEmpty && !available.contains(input) {
                throw error(path, "node '\(node.displayName)' (\(node.opType)) in \(place) reads '\(input)', which "
                    + "nothing provides")
            }
            try validateSubgraphs(of: node, kernels: kernels, path: path)
            available.formUnion(node.outputs.filter { !$0.isEmpty })
        }
        for output in subgraph.outputs where !available.contains(output.name) {
            throw error(path, "\(place) returns '\(output.name)', which nothing computes")
        }
    }
}
