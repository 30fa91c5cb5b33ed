/// Makes the outer-scope values a node's subgraphs read (its implicit inputs,
/// see `Subgraphs.swift`) explicit, first thing at load: they are appended to
/// the node's inputs and, under their own names, to each of its subgraphs'
/// inputs; `lathe.captures` says how many trailing inputs are captures.
///
/// Afterwards every subgraph is closed (it reads only its inputs, its
/// initializers and its own nodes' outputs) and binds its captures by
/// position. So the outer graph's passes need no knowledge of subgraphs: dead
/// node elimination keeps a captured value because the node reads it, and a
/// pass renaming an outer value (Identity elimination, weight dequantization)
/// renames the node's input while the subgraph keeps its inner name. Nested
/// subgraphs are done first, so their captures become reads of the enclosing
/// subgraph and travel outwards level by level.
///
/// The attribute is internal: the writer refuses it, and files are written
/// from the graph as read, never from this one.
enum SubgraphCaptures {
    static let attribute = "lathe.captures"

    static func apply(_ graph: inout Graph) {
        for index in graph.nodes.indices where graph.nodes[index].hasSubgraphs {
            capture(&graph.nodes[index])
        }
    }

    /// How many of the node's trailing inputs are captures (0 before the pass ran).
    static func count(of node: Node) -> Int { node.int(attribute, default: 0) }

    private static func capture(_ node: inout Node) {
        guard node.attributes[attribute] == nil else { return } // already explicit
        node = node.mappingSubgraphs { graph in
            var graph = graph
            apply(&graph)
            return graph
        }
        let captures = node.implicitInputs
        node = node.mappingSubgraphs { graph in
            var graph = graph
            graph.inputs += captures.map { ValueInfo(name: $0, dtype: nil, dims: nil) }
            return graph
        }
        node.inputs += captures
        node.attributes[attribute] = .int(captures.count)
    }
}
