import Foundation

/// A model bound to a dataset's sample shape and optimised for inference:
/// one output, its single input, the passes applied, graphs compiled per batch
/// size on first use. Thread-safe: `run` may be called from many threads.
public final class InferenceSession: Sendable {
    /// The output being scored.
    public let outputName: String
    /// The graph input the dataset feeds.
    public let inputName: String
    /// Per-sample input shape (the dataset's).
    public let sampleShape: [Int]
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
    let bindings: [LayerDiscovery.Binding]
    private let layerInputNames: [String: String]
    /// Floating-point initializers: never folded into per-batch constants, so weight overrides reach their readers.
    private let frozen: Set<String>
    private let inputDType: DType?
    private let compiledGraphs = LockedBox<[Int: CompiledGraph]>([:])

    public convenience init(model: Model, sampleShape: [Int], output: String? = nil) throws {
        try self.init(model: model, sampleShape: sampleShape, output: output,
                      kernels: OpRegistry.kernels(opset: model.opset))
    }

    /// `kernels`: the op table resolved for the model's opset; tests pass
    /// minimal kernels to run hand-built graphs.
    init(model: Model, sampleShape: [Int], output: String?, kernels: [String: Kernel]) throws {
        Engine.prepare()
        let optimized = try GraphOptimizer.optimize(model, sampleShape: sampleShape, output: output, kernels: kernels)
        let graph = optimized.graph
        let binding = optimized.binding
        self.outputName = binding.outputName
        self.inputName = binding.input.name
        self.sampleShape = sampleShape
        self.modelPath = model.path
        self.graph = graph
        self.kernels = kernels
        self.weights = StorageTypes.tagging(graph.initializers, with: optimized.storedTypes)
        let frozen = Set(graph.initializers.filter { $0.value.isFloat }.keys)
        self.frozen = frozen
        self.inputDType = binding.input.dtype
        let found = Self.discoverLayers(graph, binding: binding, kernels: kernels, frozen: frozen)
        self.bindings = found.bindings
        var inputNames: [String: String] = [:]
        for binding in found.bindings where inputNames[binding.layerName] == nil {
            inputNames[binding.layerName] = binding.dataName
        }
        self.layerInputNames = inputNames
        self.layers = WeightDequantization.annotated(found.layers, with: optimized.quantizedWeights)
    }

    /// Layers, with MACs from the shapes of a one-sample specialisation. A
    /// graph that cannot be specialised to one sample (a shape subgraph that
    /// hard-codes another batch) still loads; running it reports the node.
    private static func discoverLayers(_ graph: Graph, binding: ModelBinding, kernels: [String: Kernel],
                                       frozen: Set<String>) -> LayerDiscovery.Found {
        let sampleShape = binding.sampleShape
        let single = (try? ShapeSpecialisation.apply(graph, inputName: binding.input.name,
                                                     inputShape: [1] + sampleShape, kernels: kernels, frozen: frozen))
            ?? ShapeSpecialisation.Result(graph: graph, shapes: [binding.input.name: [1] + sampleShape])
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

    /// Runs one batch `[B, ...sampleShape]`.
    public func run(_ batch: Tensor, options: RunOptions = RunOptions()) throws -> RunResult {
        guard batch.rank == sampleShape.count + 1, Array(batch.shape.dropFirst()) == sampleShape,
              let batchSize = batch.shape.first, batchSize > 0 else {
            throw LatheError.badInput("batch shape \(ModelBinding.describe(batch.shape)) does not match the session's "
                + "sample shape \(ModelBinding.describe(sampleShape)) with a batch dimension first")
        }
        for (name, tensor) in options.weights {
            guard let original = weights[name] else {
                throw LatheError.badInput("cannot replace weight '\(name)': the model has no such initializer")
            }
            guard original.shape == tensor.shape else {
                throw LatheError.badInput("replacement for weight '\(name)' has shape "
                    + "\(ModelBinding.describe(tensor.shape)), expected \(ModelBinding.describe(original.shape))")
            }
        }
        return try compiled(batchSize: batchSize).run(input: converted(batch), options: options)
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
        let specialised = try ShapeSpecialisation.apply(graph, inputName: inputName,
                                                        inputShape: [batchSize] + sampleShape,
                                                        kernels: kernels, frozen: frozen)
        var reduced = specialised.graph
        DeadNodeElimination.apply(&reduced, keeping: [outputName])
        return try CompiledGraph(graph: reduced, batchSize: batchSize, inputName: inputName, outputName: outputName,
                                 shapes: specialised.shapes, kernels: kernels, bindings: bindings)
    }

    /// Datasets are float32; a model declaring an integer input gets the values converted.
    private func converted(_ batch: Tensor) -> Tensor { Self.converted(batch, to: inputDType) }

    private static func converted(_ batch: Tensor, to dtype: DType?) -> Tensor {
        guard let dtype, !dtype.isFloatingPoint, batch.isFloat else { return batch }
        return Tensor(shape: batch.shape, ints: batch.floats.map { Int64($0.rounded()) }, dtype: dtype)
    }

    /// Fallback for layers whose shapes static inference could not reach: run
    /// one zero sample through the one-sample graph and read the shapes of the
    /// layers' data and outputs.
    private static func layersMeasuringShapes(_ layers: [WeightLayer], graph single: Graph, shapes: [String: [Int]],
                                              binding: ModelBinding, kernels: [String: Kernel],
                                              bindings: [LayerDiscovery.Binding], optimised: Graph) -> [WeightLayer] {
        var reduced = single
        DeadNodeElimination.apply(&reduced, keeping: [binding.outputName])
        guard let compiled = try? CompiledGraph(graph: reduced, batchSize: 1, inputName: binding.input.name,
                                                outputName: binding.outputName, shapes: shapes, kernels: kernels,
                                                bindings: bindings) else { return layers }
        let wanted = Set(bindings.flatMap { [$0.dataName, $0.nodeKey] }).filter { compiled.slotOfName[$0] != nil }
        let zero = converted(Tensor.zeros([1] + binding.sampleShape), to: binding.input.dtype)
        // A failure here is the model's, and evaluation reports it; MACs stay as far as inference got.
        guard let captured = try? compiled.run(input: zero, options: RunOptions(capture: wanted)).captured else {
            return layers
        }
        var measured = shapes
        for (name, tensor) in captured { measured[name] = tensor.shape }
        return LayerDiscovery.find(in: optimised, shapes: measured).layers
    }
}
