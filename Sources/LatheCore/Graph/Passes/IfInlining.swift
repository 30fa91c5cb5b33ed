/// Replaces an `If` whose condition is a known constant by the nodes of the
/// branch it takes (exporters emit such Ifs for Python conditions on
/// constants or, once specialised to a batch size, on shapes).
///
/// The branch must be closed (`SubgraphCaptures`): its captured inputs become
/// the If's corresponding inputs, the values it returns take the If's output
/// names, and every other name it defines gets a fresh name prefixed by the
/// If's, so nothing collides with the enclosing graph. Nested subgraphs are
/// closed too, so renaming their nodes' inputs is enough.
enum IfInlining {
    struct Inlined {
        var nodes: [Node]
        /// The branch's initializers under their new names (and outputs that are constants).
        var constants: [String: Tensor]
    }

    /// Every name the graph uses, so fresh names can avoid them.
    static func names(in graph: Graph) -> Set<String> {
        var names = Set(graph.initializers.keys).union(graph.inputs.map(\.name)).union(graph.outputs.map(\.name))
        for node in graph.nodes {
            names.formUnion(node.inputs)
            names.formUnion(node.outputs)
        }
        return names
    }

    /// The taken branch of `node` inlined, or nil when `node` is not an `If` with a constant condition
    /// (or its branch does not have the form of a closed If branch; the kernel then reports it).
    static func inline(_ node: Node, constants: [String: Tensor], taken: inout Set<String>) -> Inlined? {
        guard node.opType == "If", node.isDefaultDomain, let conditionName = node.input(0),
              let condition = constants[conditionName], condition.count == 1 else { return nil }
        let isTrue = condition.isFloat ? condition.floats[0] != 0 : condition.ints[0] != 0
        let captures = SubgraphCaptures.count(of: node)
        guard let branch = node.graph(isTrue ? "then_branch" : "else_branch"),
              node.attributes[SubgraphCaptures.attribute] != nil, branch.inputs.count == captures,
              node.inputs.count == 1 + captures, branch.outputs.count >= node.outputs.count else { return nil }

        let prefix = node.name.isEmpty ? (node.outputs.first ?? "If") : node.name
        func fresh(_ name: String) -> String {
            var candidate = "\(prefix)/\(name)", suffix = 1
            while taken.contains(candidate) {
                candidate = "\(prefix)/\(name)_\(suffix)"
                suffix += 1
            }
            taken.insert(candidate)
            return candidate
        }

        var rename: [String: String] = [:]
        for (input, outer) in zip(branch.inputs, node.inputs.dropFirst()) { rename[input.name] = outer }
        // A value a branch node computes is computed under the If's output name directly.
        let produced = Set(branch.nodes.flatMap(\.outputs))
        var aliases: [(source: String, target: String)] = []
        for (output, target) in zip(branch.outputs, node.outputs) where !target.isEmpty {
            if produced.contains(output.name), rename[output.name] == nil {
                rename[output.name] = target
            } else {
                aliases.append((output.name, target))
            }
        }
        var result = Inlined(nodes: [], constants: [:])
        for (name, tensor) in branch.initializers.sorted(by: { $0.key < $1.key }) {
            let newName = rename[name] ?? fresh(name)
            rename[name] = newName
            result.constants[newName] = tensor
        }
        for var inner in branch.nodes {
            for output in inner.outputs where !output.isEmpty && rename[output] == nil { rename[output] = fresh(output) }
            inner.inputs = inner.inputs.map { rename[$0] ?? $0 }
            inner.outputs = inner.outputs.map { rename[$0] ?? $0 }
            if !inner.name.isEmpty { inner.name = "\(prefix)/\(inner.name)" }
            result.nodes.append(inner)
        }
        // Outputs that are a captured value, a branch constant or a value returned twice.
        for (source, target) in aliases {
            let renamed = rename[source] ?? source
            if let constant = result.constants[renamed] {
                result.constants[target] = constant
            } else {
                result.nodes.append(Node(name: "\(prefix)/\(target)", opType: "Identity", inputs: [renamed],
                                         outputs: [target]))
            }
        }
        return result
    }
}
