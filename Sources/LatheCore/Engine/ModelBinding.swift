/// Binds a model to what Lathe evaluates: one floating output to score and the
/// single dataset-fed input it depends on, with that input's declared
/// dimensions checked against the dataset's sample shape.
struct ModelBinding {
    var outputName: String
    var input: ValueInfo
    /// The input's shape for one batch of `batchSize` samples.
    var sampleShape: [Int]

    func inputShape(batchSize: Int) -> [Int] { [batchSize] + sampleShape }

    /// The output to score: `requested` by name, else the first floating one
    /// (skl2onnx puts an int64 `label` first and `probabilities` second).
    static func chooseOutput(_ graph: Graph, requested: String?, path: String) throws -> String {
        let listing = graph.outputs.map { "\($0.name) (\($0.dtype?.rawValue ?? "unknown type"))" }
            .joined(separator: ", ")
        if let requested {
            guard graph.outputs.contains(where: { $0.name == requested }) else {
                throw error(path, "the model has no output '\(requested)'; its outputs are: \(listing)")
            }
            return requested
        }
        if let floating = graph.outputs.first(where: { $0.dtype?.isFloatingPoint == true }) { return floating.name }
        if let untyped = graph.outputs.first(where: { $0.dtype == nil }) { return untyped.name }
        guard let first = graph.outputs.first else { throw error(path, "the model declares no outputs") }
        return first.name
    }

    /// Checks that every node (of a graph already reduced to the chosen output)
    /// has a kernel, and that every value it reads is provided.
    static func validate(_ graph: Graph, outputName: String, kernels: [String: Kernel], path: String) throws {
        var available = Set(graph.initializers.keys).union(graph.inputs.map(\.name))
        for node in graph.nodes {
            guard node.isDefaultDomain, kernels[node.opType] != nil else {
                let domain = node.isDefaultDomain ? "" : " (domain '\(node.domain)')"
                throw error(path, "node '\(node.displayName)' uses op '\(node.opType)'\(domain), which Lathe does not "
                    + "support; it is needed for output '\(outputName)'. Supported ops: "
                    + kernels.keys.sorted().joined(separator: ", "))
            }
            for input in node.inputs where !input.isEmpty && !available.contains(input) {
                throw error(path, "node '\(node.displayName)' (\(node.opType)) reads '\(input)', which no node, "
                    + "graph input or initializer provides")
            }
            try validateSubgraphs(of: node, kernels: kernels, path: path)
            available.formUnion(node.outputs.filter { !$0.isEmpty })
        }
        guard available.contains(outputName) else {
            throw error(path, "output '\(outputName)' is not computed by any node")
        }
    }

    /// The single real input the (reduced) graph reads, with its dims resolved
    /// from the dataset's sample shape. The first declared dim is the batch,
    /// whether symbolic or fixed: a model exported with a fixed batch of 1 still
    /// runs larger batches when its graph does not hard-code that size (the
    /// usual case); one that does fails in the kernel naming the node.
    static func bind(_ graph: Graph, outputName: String, sampleShape: [Int], path: String) throws -> ModelBinding {
        let inputs = graph.inputs.filter { graph.initializers[$0.name] == nil }
        guard inputs.count == 1, let input = inputs.first else {
            if inputs.isEmpty {
                throw error(path, "output '\(outputName)' depends on no graph input, so there is nothing to feed "
                    + "the dataset to")
            }
            throw error(path, "output '\(outputName)' needs \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))); "
                + "Lathe feeds one dataset input")
        }
        if let dims = input.dims {
            let fits = dims.count == sampleShape.count + 1 && zip(dims.dropFirst(), sampleShape).allSatisfy {
                if case .fixed(let size) = $0 { return size == $1 }
                return true
            }
            guard fits else {
                throw error(path, "sample shape \(describe(sampleShape)) does not fit model input '\(input.name)' "
                    + describe(dims))
            }
        }
        return ModelBinding(outputName: outputName, input: input, sampleShape: sampleShape)
    }

    static func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

    static func describe(_ dims: [Dimension]) -> String {
        let parts = dims.map { dim -> String in
            switch dim {
            case .fixed(let size): return String(size)
            case .symbolic(let name): return name.isEmpty ? "?" : name
            }
        }
        return "[" + parts.joined(separator: ", ") + "]"
    }

    static func error(_ path: String, _ problem: String) -> LatheError {
        path.isEmpty ? .badInput(problem) : .badInput(file: path, problem)
    }
}
