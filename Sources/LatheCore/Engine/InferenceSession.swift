import Foundation

/// A model bound to a data layout and optimised for inference: one output, the
/// inputs it reads (each fed from a data array, see `InputFeed`), the passes
/// applied, graphs compiled per batch size on first use. Thread-safe: `run`
/// may be called from many threads.
public final class InferenceSession: Sendable {
    /// The output being scored.
    public let outputName: String
    /// How each graph input the output needs is fed, in graph order.
    public let feeds: [InputFeed]
    /// The batch size an input's declaration fixes (evaluation keeps to it).
    public let fixedBatch: FixedBatch?
    /// The output's batch axis: given, or found by shape inference (`OutputBatchAxis`).
    public let outputBatchAxis: Int
    /// Warnings from binding the data (arrays no input reads), for the user.
    public let notices: [String]
    /// Weight layers in graph order.
    public let layers: [WeightLayer]
    /// All initializers of the optimised graph: deployed (BN-folded) weights and biases by name,
    /// each tagged with the dtype the file stores it at (a float16 weight widened by a
    /// `Cast` is float16 here; the compiled graphs execute the widened float32 copy).
    public let weights: [String: Tensor]
    /// Path of the model file (for messages).
    public let modelPath: String

    let graph: Graph
    let kernels: [String: Kernel]
    let perStepKernels: [String: @Sendable () -> Kernel]
    let bindings: [LayerDiscovery.Binding]
    private let layerInputNames: [String: String]
    /// Floating-point initializers: never folded into per-batch constants, so weight overrides reach their readers.
    private let frozen: Set<String>
    private let compiledGraphs = LockedBox<[Int: CompiledGraph]>([:])

    /// The first input fed per sample (a single-input model's only input).
    /// The batch axis of each of the values `names` whose axis the graph's shapes at batch sizes 2 and 3 single
    /// out (`OutputBatchAxis.followingAxis`); a value whose shapes do not is left out.
    func batchAxes(of names: Set<String>) -> [String: Int] {
        guard let shapes = OutputBatchAxis.shapes(graph, feeds: feeds, kernels: kernels, frozen: frozen) else { return [:] }
        var axes: [String: Int] = [:]
        for name in names {
            if let two = shapes.two[name], let three = shapes.three[name],
               let axis = OutputBatchAxis.followingAxis(two, three) { axes[name] = axis }
        }
        return axes
    }

    public var inputName: String { (feeds.first { !$0.isShared } ?? feeds.first)?.name ?? "" }
    /// That input's per-sample shape.
    public var sampleShape: [Int] { (feeds.first { !$0.isShared } ?? feeds.first)?.shape ?? [] }
    /// Names of the graph inputs the data feeds.
    public var inputNames: [String] { feeds.map(\.name) }

    /// A single-input model fed samples shaped `sampleShape`.
    public convenience init(model: Model, sampleShape: [Int], output: String? = nil) throws {
        try self.init(model: model, data: .sample(shape: sampleShape), output: output)
    }

    /// `data`: the arrays the model is fed from (`Dataset.layout`); `outputBatchAxis`
    /// overrides the output's batch axis that shape inference finds.
    public convenience init(model: Model, data: DataLayout, output: String? = nil,
                            outputBatchAxis: Int? = nil) throws {
        try self.init(model: model, data: data, output: output, outputBatchAxis: outputBatchAxis,
                      kernels: OpRegistry.kernels(opset: model.opset), perStepKernels: OpRegistry.perStepKernels)
    }

    /// `kernels`: the op table resolved for the model's opset; tests pass
    /// minimal kernels to run hand-built graphs.
    convenience init(model: Model, sampleShape: [Int], output: String?, kernels: [String: Kernel]) throws {
        try self.init(model: model, data: .sample(shape: sampleShape), output: output, outputBatchAxis: nil,
                      kernels: kernels)
    }

    /// `perStepKernels`: makers of the compiled steps' own kernels for some ops (`OpRegistry.perStepKernels`), none
    /// for a test's hand-made table.
    init(model: Model, data: DataLayout, output: String?, outputBatchAxis: Int?, kernels: [String: Kernel],
         perStepKernels: [String: @Sendable () -> Kernel] = [:]) throws {
        try Engine.prepare()
        let optimized = try GraphOptimizer.optimize(model, data: data, output: output, kernels: kernels)
        let graph = optimized.graph
        let binding = optimized.binding
        self.outputName = binding.outputName
        self.feeds = binding.feeds
        self.fixedBatch = binding.fixedBatch
        self.notices = binding.notices
        self.modelPath = model.path
        self.graph = graph
        self.kernels = kernels
        self.perStepKernels = perStepKernels
        self.weights = StorageTypes.tagging(graph.initializers, with: optimized.storedTypes)
        let frozen = Set(graph.initializers.filter { $0.value.isFloat }.keys)
        self.frozen = frozen
        let declaredOutput = model.graph.outputs.first { $0.name == binding.outputName }?.dims
        self.outputBatchAxis = try OutputBatchAxis.resolve(
            given: outputBatchAxis, graph: graph, binding: binding, declared: declaredOutput, kernels: kernels,
            frozen: frozen, path: model.path)
        let found = Self.discoverLayers(graph, binding: binding, kernels: kernels, frozen: frozen)
        self.bindings = found.bindings
        var inputNames: [String: String] = [:]
        for binding in found.bindings where inputNames[binding.layerName] == nil {
            inputNames[binding.layerName] = binding.dataName
        }
        self.layerInputNames = inputNames
        self.layers = WeightDequantization.annotated(found.layers, with: optimized.quantizedWeights)
    }

    /// Input shapes for a batch of `batchSize` samples, by graph input name.
    func inputShapes(batchSize: Int) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: feeds.map { ($0.name, $0.shape(batchSize: batchSize)) })
    }

    /// Layers, with MACs from the shapes of a one-sample specialisation. A
    /// graph that cannot be specialised to one sample (a shape subgraph that
    /// hard-codes another batch) still loads; running it reports the node.
    private static func discoverLayers(_ graph: Graph, binding: ModelBinding, kernels: [String: Kernel],
                                       frozen: Set<String>) -> LayerDiscovery.Found {
        let shapes = Dictionary(uniqueKeysWithValues: binding.feeds.map { ($0.name, $0.shape(batchSize: 1)) })
        let single = (try? ShapeSpecialisation.apply(graph, inputShapes: shapes, kernels: kernels, frozen: frozen))
            ?? ShapeSpecialisation.Result(graph: graph, shapes: shapes)
        var found = LayerDiscovery.find(in: graph, shapes: single.shapes)
        if !found.missingShapes.isEmpty {
            found.layers = layersMeasuringShapes(found.layers, graph: single.graph, shapes: single.shapes,
                                                 binding: binding, kernels: kernels, bindings: found.bindings,
                                                 optimised: graph)
        }
        return found
    }

    /// The value feeding `layer`'s node as data (input 0 of Conv/Gemm, the
    /// non-constant operand of MatMul); "" for a name that is not a layer here.
    public func layerInputName(_ layer: WeightLayer) -> String {
        layerInputNames[layer.name] ?? ""
    }

    /// Runs one batch of a single-input model: `[B, ...sampleShape]`.
    public func run(_ batch: Tensor, options: RunOptions = RunOptions()) throws -> RunResult {
        guard feeds.count == 1, let feed = feeds.first else {
            throw LatheError.badInput("the model takes several inputs (\(inputNames.joined(separator: ", "))): "
                + "pass them by name")
        }
        return try run([feed.name: batch], options: options)
    }

    /// Runs one batch, `inputs` by graph input name: per-sample inputs `[B, ...shape]`
    /// (the same B for all), shared ones at their whole shape. Each input is converted
    /// to its declared dtype (`InputConversion`). The inputs are the run's: a batch passed as a temporary is
    /// released after the last step that reads it, rather than held through the run (an FPN detector's 64
    /// images of 512×512×3 are 201 MB beside its first convolution's output).
    public func run(_ inputs: consuming [String: Tensor], options: RunOptions = RunOptions()) throws -> RunResult {
        var batchSize: Int?
        var converted: [String: Tensor] = [:]
        for feed in feeds {
            guard let tensor = inputs[feed.name] else {
                throw LatheError.badInput("no value for model input \(feed.declaration)")
            }
            if feed.isShared {
                guard tensor.shape == feed.shape else {
                    throw LatheError.badInput("input '\(feed.name)' has shape \(ModelBinding.describe(tensor.shape)), "
                        + "expected \(ModelBinding.describe(feed.shape)) (shared by every batch)")
                }
            } else {
                let size = feed.batchAxis < tensor.rank ? tensor.shape[feed.batchAxis] : 0
                guard tensor.rank == feed.shape.count + 1, tensor.shape == feed.shape(batchSize: size), size > 0,
                      size == batchSize ?? size else {
                    let axis = feed.batchAxis == 0 ? "first" : "on axis \(feed.batchAxis)"
                    throw LatheError.badInput("batch shape \(ModelBinding.describe(tensor.shape)) of input '\(feed.name)' "
                        + "does not match its sample shape \(ModelBinding.describe(feed.shape)) with a batch dimension "
                        + axis + (batchSize.map { " of \($0) like the other inputs" } ?? ""))
                }
                batchSize = size
            }
            converted[feed.name] = try InputConversion.convert(tensor, to: feed.dtype, input: feed.name,
                                                               source: feed.name)
        }
        for (name, tensor) in options.weights {
            guard let original = weights[name] else {
                // Bias correction's bias for a layer that has none (AddedBias): one value per output channel.
                if let layer = layers.first(where: { $0.biasName == nil && AddedBias.name(for: $0.name) == name }) {
                    guard tensor.isFloat, tensor.shape == [layer.channels] else {
                        throw LatheError.badInput("the added bias of layer \(layer.name) has shape "
                            + "\(ModelBinding.describe(tensor.shape)), expected [\(layer.channels)]")
                    }
                    continue
                }
                throw LatheError.badInput("cannot replace weight '\(name)': the model has no such initializer")
            }
            guard original.shape == tensor.shape else {
                throw LatheError.badInput("replacement for weight '\(name)' has shape "
                    + "\(ModelBinding.describe(tensor.shape)), expected \(ModelBinding.describe(original.shape))")
            }
        }
        inputs = [:]
        return try compiled(batchSize: batchSize ?? 1).run(inputs: consume converted, options: options)
    }

    /// The graph compiled for `batchSize`, on first use. Compiling under the lock
    /// makes concurrent first calls wait for one compilation instead of repeating it.
    func compiled(batchSize: Int) throws -> CompiledGraph {
        try compiledGraphs.withLock { cache in
            if let compiled = cache[batchSize] { return compiled }
            let compiled = try compile(batchSize: batchSize)
            cache[batchSize] = compiled
            return compiled
        }
    }

    private func compile(batchSize: Int) throws -> CompiledGraph {
        let specialised = try ShapeSpecialisation.apply(graph, inputShapes: inputShapes(batchSize: batchSize),
                                                        kernels: kernels, frozen: frozen)
        var reduced = specialised.graph
        DeadNodeElimination.apply(&reduced, keeping: [outputName])
        return try CompiledGraph(graph: reduced, batchSize: batchSize, inputNames: inputNames, outputName: outputName,
                                 shapes: specialised.shapes, kernels: kernels, perStepKernels: perStepKernels,
                                 bindings: bindings)
    }

    /// Fallback for layers whose shapes static inference could not reach: run
    /// one zero sample through the one-sample graph and read the shapes of the
    /// layers' data and outputs.
    private static func layersMeasuringShapes(_ layers: [WeightLayer], graph single: Graph, shapes: [String: [Int]],
                                              binding: ModelBinding, kernels: [String: Kernel],
                                              bindings: [LayerDiscovery.Binding], optimised: Graph) -> [WeightLayer] {
        var reduced = single
        DeadNodeElimination.apply(&reduced, keeping: [binding.outputName])
        guard let compiled = try? CompiledGraph(graph: reduced, batchSize: 1, inputNames: binding.feeds.map(\.name),
                                                outputName: binding.outputName, shapes: shapes, kernels: kernels,
                                                bindings: bindings) else { return layers }
        let wanted = Set(bindings.flatMap { [$0.dataName, $0.nodeKey] }).filter { compiled.slotOfName[$0] != nil }
        var zeros: [String: Tensor] = [:]
        for feed in binding.feeds {
            let zero = Tensor.zeros(feed.shape(batchSize: 1))
            zeros[feed.name] = try? InputConversion.convert(zero, to: feed.dtype, input: feed.name, source: feed.name)
        }
        // A failure here is the model's, and evaluation reports it; MACs stay as far as inference got.
        guard let captured = try? compiled.run(inputs: zeros, options: RunOptions(capture: wanted)).captured else {
            return layers
        }
        var measured = shapes
        for (name, tensor) in captured { measured[name] = tensor.shape }
        return LayerDiscovery.find(in: optimised, shapes: measured).layers
    }
}
