/// Binds a model to what Lathe evaluates: one floating output to score and the
/// graph inputs it depends on, each fed from a data array (matched by name; a
/// model needing one input takes `x` or the first array), with the arrays'
/// shapes checked against the inputs' declared dimensions.
struct ModelBinding {
    var outputName: String
    var feeds: [InputFeed]
    /// The batch size a batch-fed input's declaration fixes, if any.
    var fixedBatch: FixedBatch?
    /// Warnings for the user (arrays no input reads).
    var notices: [String]

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
    /// has a kernel, and that every value it reads is provided; with
    /// `subgraphs`, the nodes of every If branch and loop body too.
    static func validate(_ graph: Graph, outputName: String, kernels: [String: Kernel], path: String,
                         subgraphs: Bool = true) throws {
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
            if subgraphs { try validateSubgraphs(of: node, kernels: kernels, path: path) }
            available.formUnion(node.outputs.filter { !$0.isEmpty })
        }
        guard available.contains(outputName) else {
            throw error(path, "output '\(outputName)' is not computed by any node")
        }
    }

    /// Feeds for the real inputs the (reduced) graph reads, from `data`. The
    /// first declared dim of a batch-fed input is the batch, whether symbolic or
    /// fixed; a fixed one is reported as `fixedBatch`, which evaluation keeps to.
    /// `modelInputs`: every input the model declares, so that an array named
    /// after an input the scored output does not need is not reported unused.
    static func bind(_ graph: Graph, outputName: String, data: DataLayout, modelInputs: [String],
                     path: String) throws -> ModelBinding {
        let inputs = graph.inputs.filter { graph.initializers[$0.name] == nil }
        guard !inputs.isEmpty else {
            throw error(path, "output '\(outputName)' depends on no graph input, so there is nothing to feed "
                + "the dataset to")
        }
        let dataFile = data.path.isEmpty ? path : data.path
        var sources: [(input: ValueInfo, entry: DataLayout.Entry)] = []
        for input in inputs {
            if let entry = data.entry(named: input.name) {
                sources.append((input, entry))
            } else if inputs.count == 1, data.kind == .samples, let entry = data.primary {
                sources.append((input, entry))
            } else {
                throw missing(input, inputs: inputs, data: data, file: dataFile)
            }
        }
        let samples = data.kind == .oneBatch ? 1 : sources.map { $0.entry.shape.first ?? 1 }.max() ?? 1
        let batchNames = Set(inputs.compactMap { input -> String? in
            if case .symbolic(let name) = input.dims?.first, !name.isEmpty { return name }
            return nil
        })
        var feeds: [InputFeed] = []
        var fixedBatch: FixedBatch?
        for (input, entry) in sources {
            let feed = try self.feed(input, from: entry, samples: samples, kind: data.kind, single: inputs.count == 1,
                                     file: dataFile, sources: sources.map { $0.entry }, batchNames: batchNames)
            if !feed.isShared, let dims = input.dims, feed.batchAxis < dims.count,
               case .fixed(let size) = dims[feed.batchAxis] {
                if let other = fixedBatch, other.size != size {
                    throw error(path, "\(other.description) but \(FixedBatch(size: size, input: input.name, dims: dims).description); "
                        + "the inputs fed per sample must agree on the batch")
                }
                fixedBatch = fixedBatch ?? FixedBatch(size: size, input: input.name, dims: dims)
            }
            feeds.append(feed)
        }
        var notices: [String] = []
        if data.kind == .samples {
            let used = Set(feeds.map(\.source))
            let declared = Set(modelInputs)
            for array in data.arrays where !used.contains(array.name) && !declared.contains(array.name) {
                notices.append("\(dataFile): array '\(array.name)' matches no model input (the model's inputs: "
                    + modelInputs.joined(separator: ", ") + "); it is not used")
            }
        }
        return ModelBinding(outputName: outputName, feeds: feeds, fixedBatch: fixedBatch, notices: notices)
    }

    /// One input's feed from `entry`, its shape checked against the declared dims.
    private static func feed(_ input: ValueInfo, from entry: DataLayout.Entry, samples: Int, kind: DataLayout.Kind,
                             single: Bool, file: String, sources: [DataLayout.Entry],
                             batchNames: Set<String>) throws -> InputFeed {
        let shape = entry.shape
        let leading = shape.first ?? 1
        // A scalar (a sample rate, a threshold) is one value for every batch.
        let shared = kind == .oneBatch || shape.isEmpty || (leading == 1 && samples > 1)
        let axis = shared ? 0 : batchAxis(of: input, arrayShape: shape, batchNames: batchNames)
        if !shared && leading != samples {
            let other = sources.first { $0.shape.first == samples }?.name ?? "another array"
            var hint = "an array holds one row per sample, or a leading 1 to share one value with every batch"
            if axis > 0, axis < shape.count, shape[axis] == samples {
                var first = shape
                first.insert(first.remove(at: axis), at: 0)
                hint = "the data holds samples first, so give it as \(describe(first)) "
                    + "(numpy: np.moveaxis(\(entry.name), \(axis), 0)); Lathe moves them to the model's axis \(axis)"
            }
            throw error(file, "array '\(entry.name)' has \(leading) rows but '\(other)' has \(samples) samples; \(hint)")
        }
        let sample = shared ? shape : Array(shape.dropFirst())
        if let dims = input.dims {
            let expected = shared ? dims : dims.enumerated().filter { $0.offset != axis }.map(\.element)
            let fits = expected.count == sample.count && zip(expected, sample).allSatisfy { dim, size in
                if case .fixed(let fixed) = dim { return fixed == size }
                return true
            }
            guard fits else {
                let array = single && entry.name != input.name ? "" : "array '\(entry.name)': "
                let what = shared ? "shape \(describe(shape)) (shared by every batch)" : "sample shape \(describe(sample))"
                let place = axis > 0 ? " (samples on its axis \(axis); the data holds them first: one array "
                    + "\(describe([Dimension.symbolic("N")] + expected)))" : ""
                throw error(file, "\(array)\(what) does not fit model input '\(input.name)' \(describe(dims))\(place)")
            }
        }
        return InputFeed(name: input.name, source: entry.name, dtype: input.dtype, dims: input.dims, shape: sample,
                         isShared: shared, batchAxis: axis)
    }

    /// The axis where `input` takes the samples: the one named like another input's batch dim
    /// (`state` [2, batch, 128] beside `input` [batch, 512]), else, when the first dim is fixed
    /// and the samples-first array fits the declaration with one other dim symbolic, that dim
    /// (`state` [2, ?, 128] fed [N, 2, 128]); else 0.
    static func batchAxis(of input: ValueInfo, arrayShape: [Int], batchNames: Set<String>) -> Int {
        guard let dims = input.dims, dims.count >= 2 else { return 0 }
        let named = dims.indices.filter {
            if case .symbolic(let name) = dims[$0] { return batchNames.contains(name) }
            return false
        }
        if named.count == 1, let axis = named.first { return axis }
        guard case .fixed = dims[0], arrayShape.count == dims.count else { return 0 }
        let symbolic = dims.indices.filter { if case .symbolic = dims[$0] { return true } else { return false } }
        guard symbolic.count == 1, let axis = symbolic.first else { return 0 }
        let rest = dims.enumerated().filter { $0.offset != axis }.map(\.element)
        let fits = zip(rest, arrayShape.dropFirst()).allSatisfy { dim, size in
            if case .fixed(let fixed) = dim { return fixed == size }
            return true
        }
        return fits ? axis : 0
    }

    /// The error for an input no array feeds: its declaration, and what to add or pass.
    private static func missing(_ input: ValueInfo, inputs: [ValueInfo], data: DataLayout, file: String) -> LatheError {
        let declared = InputFeed(name: input.name, source: "", dtype: input.dtype, dims: input.dims, shape: [],
                                 isShared: false).declaration
        if data.kind == .oneBatch {
            return error(file, "model input \(declared) has no fixed shape to inspect it with; "
                + "pass --data FILE with an array '\(input.name)' to give one")
        }
        let names = inputs.map(\.name).joined(separator: ", ")
        let held = data.arrays.map(\.name).joined(separator: ", ")
        return error(file, "no array for model input \(declared): the model's inputs \(names) are fed from the "
            + "arrays of those names, and the file holds \(held.isEmpty ? "none" : held). Add an array "
            + "'\(input.name)' with one row per sample (or a leading 1 to share it with every batch)")
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
