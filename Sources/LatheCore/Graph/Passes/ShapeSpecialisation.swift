/// Specialises the graph to one concrete input shape (a batch size): propagates
/// shapes, replaces `Shape`/`Size` of values whose shape is known by constants,
/// and folds what becomes constant (the Shape→Gather→Concat→Reshape chains of
/// PyTorch exports), inlining the taken branch of an `If` whose condition
/// becomes constant (a Python `if` on a shape). The result is only valid for that input shape, which is
/// why plans are cached per batch size.
enum ShapeSpecialisation {
    struct Result {
        var graph: Graph
        /// Known shapes of values (inputs, constants, node outputs).
        var shapes: [String: [Int]]
    }

    /// `frozen` names are never folded into other constants (see ConstantFolding).
    static func apply(_ graph: Graph, inputName: String, inputShape: [Int], kernels: [String: Kernel],
                      frozen: Set<String>) throws -> Result {
        try apply(graph, inputShapes: [inputName: inputShape], kernels: kernels, frozen: frozen)
    }

    /// The same for a graph with several inputs, each at its own shape.
    static func apply(_ graph: Graph, inputShapes: [String: [Int]], kernels: [String: Kernel],
                      frozen: Set<String>) throws -> Result {
        var graph = graph
        var shapes = inputShapes
        for (name, tensor) in graph.initializers { shapes[name] = tensor.shape }
        var kept: [Node] = []
        kept.reserveCapacity(graph.nodes.count)
        var pending = Array(graph.nodes.reversed())
        var taken: Set<String>?
        while let node = pending.popLast() {
            if node.opType == "If" {
                var names = taken ?? IfInlining.names(in: graph)
                defer { taken = names }
                if let inlined = IfInlining.inline(node, constants: graph.initializers, taken: &names) {
                    for (name, tensor) in inlined.constants {
                        graph.initializers[name] = tensor
                        shapes[name] = tensor.shape
                    }
                    pending.append(contentsOf: inlined.nodes.reversed())
                    continue
                }
            }
            if let constants = try foldedOutputs(of: node, graph: graph, shapes: shapes, kernels: kernels,
                                                 frozen: frozen) {
                for (name, tensor) in constants {
                    graph.initializers[name] = tensor
                    shapes[name] = tensor.shape
                }
                continue
            }
            kept.append(node)
            let inputShapes = node.inputs.map { $0.isEmpty ? nil : shapes[$0] }
            let inputValues = node.inputs.map { $0.isEmpty ? nil : graph.initializers[$0] }
            let outputShapes = ShapeInference.outputShapes(of: node, shapes: inputShapes, values: inputValues)
            for (output, shape) in zip(node.outputs, outputShapes) where !output.isEmpty {
                if let shape { shapes[output] = shape }
            }
        }
        graph.nodes = kept
        return Result(graph: graph, shapes: shapes)
    }

    /// The node's outputs as constants when it folds at this input shape, else nil.
    private static func foldedOutputs(of node: Node, graph: Graph, shapes: [String: [Int]],
                                      kernels: [String: Kernel], frozen: Set<String>) throws -> [String: Tensor]? {
        guard let output = node.outputs.first, !output.isEmpty else { return nil }
        if node.isDefaultDomain, node.opType == "Shape" || node.opType == "Size",
           let source = node.input(0), let shape = shapes[source] {
            if node.opType == "Size" { return [output: .scalar(int: Int64(shape.reduce(1, *)))] }
            let rank = shape.count
            let clampAxis = { (v: Int) in min(max(v < 0 ? v + rank : v, 0), rank) }
            let start = clampAxis(node.int("start", default: 0))
            let end = max(clampAxis(node.int("end", default: rank)), start)
            let dims = shape[start..<end].map { Int64($0) }
            return [output: Tensor(shape: [dims.count], ints: dims)]
        }
        guard ConstantFolding.canFold(node, constants: graph.initializers, kernels: kernels, frozen: frozen) else {
            return nil
        }
        let outputs = try ConstantFolding.evaluate(node, constants: graph.initializers, kernels: kernels)
        return node.outputs.allSatisfy({ $0.isEmpty || outputs[$0] != nil }) ? outputs : nil
    }
}
