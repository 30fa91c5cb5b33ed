/// Evaluates, once and with the registry kernels, every node whose inputs are
/// all known constants; its outputs become initializers and the node goes.
enum ConstantFolding {
    /// Ops whose result is not a function of their inputs.
    static let nondeterministic: Set<String> = [
        "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli",
    ]

    /// Whether `node` can be folded given the current constants. Nodes reading a
    /// `frozen` name are never folded: the per-batch specialisation freezes the
    /// floating-point weights, so `RunOptions.weights` overrides keep reaching
    /// the nodes that read them.
    static func canFold(_ node: Node, constants: [String: Tensor], kernels: [String: Kernel],
                        frozen: Set<String> = []) -> Bool {
        guard node.isDefaultDomain, !nondeterministic.contains(node.opType), kernels[node.opType] != nil else {
            return false
        }
        for input in node.inputs where !input.isEmpty {
            if constants[input] == nil || frozen.contains(input) { return false }
        }
        return true
    }

    /// Runs the node's kernel on its constant inputs and returns its outputs by name.
    static func evaluate(_ node: Node, constants: [String: Tensor], kernels: [String: Kernel]) throws -> [String: Tensor] {
        guard let kernel = kernels[node.opType] else {
            throw LatheError.internalFailure("no kernel for \(node.opType) while folding '\(node.displayName)'")
        }
        let inputs: [Tensor?] = node.inputs.map { $0.isEmpty ? nil : constants[$0] }
        let results = try kernel(node, inputs)
        var named: [String: Tensor] = [:]
        for (index, output) in node.outputs.enumerated() where !output.isEmpty && index < results.count {
            named[output] = results[index]
        }
        return named
    }

    /// Folds every foldable node, in graph order (so chains fold in one sweep), and inlines the taken
    /// branch of every `If` whose condition is constant, folding its nodes in turn.
    @discardableResult
    static func apply(_ graph: inout Graph, kernels: [String: Kernel], frozen: Set<String> = []) throws -> Int {
        var kept: [Node] = []
        kept.reserveCapacity(graph.nodes.count)
        var folded = 0
        var pending = Array(graph.nodes.reversed())
        var taken: Set<String>? // every name in the graph, computed at the first If
        while let node = pending.popLast() {
            if node.opType == "If" {
                var names = taken ?? IfInlining.names(in: graph)
                defer { taken = names }
                if let inlined = IfInlining.inline(node, constants: graph.initializers, taken: &names) {
                    graph.initializers.merge(inlined.constants) { _, new in new }
                    pending.append(contentsOf: inlined.nodes.reversed())
                    folded += 1
                    continue
                }
            }
            if canFold(node, constants: graph.initializers, kernels: kernels, frozen: frozen) {
                let outputs = try evaluate(node, constants: graph.initializers, kernels: kernels)
                // An output the kernel did not produce stays computed by the node.
                if node.outputs.allSatisfy({ $0.isEmpty || outputs[$0] != nil }) {
                    graph.initializers.merge(outputs) { _, new in new }
                    folded += 1
                    continue
                }
            }
            kept.append(node)
        }
        graph.nodes = kept
        return folded
    }
}
