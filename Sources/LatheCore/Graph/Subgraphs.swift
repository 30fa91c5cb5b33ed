/// Scopes of subgraphs. ONNX lets a subgraph's nodes read any value of the
/// enclosing graphs by name, without declaring it ("implicit inputs"): an
/// `If` branch reads the features computed before the `If`, a `Loop` body the
/// weights of the main graph. Every analysis that asks "who reads this value"
/// must count those reads as reads by the node owning the subgraph.
extension Node {
    /// The node's subgraph attributes, ordered by attribute name (deterministic).
    var subgraphs: [(attribute: String, graphs: [Graph])] {
        attributes.keys.sorted().compactMap { key in
            switch attributes[key] {
            case .graph(let graph)?: return (key, [graph])
            case .graphs(let graphs)?: return (key, graphs)
            default: return nil
            }
        }
    }

    var hasSubgraphs: Bool {
        attributes.values.contains { value in
            switch value {
            case .graph, .graphs: return true
            default: return false
            }
        }
    }

    /// The node with `transform` applied to each of its subgraphs.
    func mappingSubgraphs(_ transform: (Graph) throws -> Graph) rethrows -> Node {
        var node = self
        for (key, value) in attributes {
            switch value {
            case .graph(let graph): node.attributes[key] = .graph(try transform(graph))
            case .graphs(let graphs): node.attributes[key] = .graphs(try graphs.map(transform))
            default: break
            }
        }
        return node
    }

    /// Values of the enclosing scope the node's subgraphs read (at any depth), in first-read order,
    /// without repeats. Empty for a node without subgraphs.
    var implicitInputs: [String] {
        guard hasSubgraphs else { return [] }
        var names = OrderedNames()
        for (_, graphs) in subgraphs {
            for graph in graphs { names.append(contentsOf: graph.outerReads) }
        }
        return names.list
    }
}

extension Graph {
    /// Names this graph reads (node inputs, nested subgraphs' implicit inputs, outputs) that it does not
    /// define itself as an input, initializer or node output: values of an enclosing scope.
    var outerReads: [String] {
        var defined = Set(inputs.map(\.name)).union(initializers.keys)
        var reads = OrderedNames()
        for node in nodes {
            for name in node.inputs + node.implicitInputs where !name.isEmpty && !defined.contains(name) {
                reads.append(name)
            }
            defined.formUnion(node.outputs.filter { !$0.isEmpty })
        }
        for output in outputs where !defined.contains(output.name) { reads.append(output.name) }
        return reads.list
    }
}

/// A list of names in first-insertion order without repeats.
struct OrderedNames {
    private(set) var list: [String] = []
    private var seen = Set<String>()

    mutating func append(_ name: String) {
        if seen.insert(name).inserted { list.append(name) }
    }

    mutating func append(contentsOf names: [String]) {
        for name in names { append(name) }
    }
}
