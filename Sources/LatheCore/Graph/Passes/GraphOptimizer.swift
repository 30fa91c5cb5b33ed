/// Everything done to a model at load, in order, in one place: which output
/// is scored, which inputs the data feeds, and the batch-independent passes.
/// Every pass keeps the values that feed layers as data under their names,
/// or renames only values that no layer reads, so layer input names stay
/// what the live engine caches. Batch-dependent work (shape specialisation)
/// happens per compiled graph.
enum GraphOptimizer {
    struct Result {
        var graph: Graph
        var binding: ModelBinding
        /// Initializers stored at a narrower dtype than the graph computes in (see `StorageTypes`).
        var storedTypes: [String: DType]
        /// Integer weights behind DequantizeLinear, and those MatMulInteger / ConvInteger read, now
        /// float initializers: how the file stored them.
        var quantizedWeights: [String: StoredQuantization]
    }

    static func optimize(_ model: Model, data: DataLayout, output: String?,
                         kernels: [String: Kernel]) throws -> Result {
        let path = model.path
        var graph = model.graph
        let outputName = try ModelBinding.chooseOutput(graph, requested: output, path: path)
        graph.outputs = graph.outputs.filter { $0.name == outputName }
        // First, so every later pass sees the values subgraphs read as inputs of their nodes.
        SubgraphCaptures.apply(&graph)
        try ConstantNodeLowering.apply(&graph, path: path)
        DeadNodeElimination.apply(&graph, keeping: [outputName])
        // Before validation, so a pass-through op needs no kernel.
        IdentityElimination.apply(&graph)
        // Subgraphs are checked after folding, so the branch a constant condition never takes may hold any op.
        try ModelBinding.validate(graph, outputName: outputName, kernels: kernels, path: path, subgraphs: false)
        let binding = try ModelBinding.bind(graph, outputName: outputName, data: data,
                                            modelInputs: model.graph.inputs.map(\.name), path: path)
        // Before folding, which may fold the widening Casts away.
        let storedTypes = StorageTypes.widenedInitializers(in: graph)
        // Before folding, which would dequantize the weights without recording how they were stored.
        var quantizedWeights = try WeightDequantization.apply(&graph)
        try ConstantFolding.apply(&graph, kernels: kernels)
        // After folding, so the float weights it makes are not folded back into integer operands.
        quantizedWeights.merge(IntegerWeightLayers.apply(&graph)) { first, _ in first }
        // After the integer weights became float layers, which the fused readers multiply on the float kernels.
        DynamicQuantizationFusion.apply(&graph)
        // After folding, so scales a subgraph computes are constants it can compare.
        QuantizeDequantizeFusion.apply(&graph)
        BatchNormFolding.apply(&graph)
        HardSwishRecognition.apply(&graph)
        ActivationFusion.apply(&graph)
        DeadNodeElimination.apply(&graph, keeping: graph.outputNames)
        try ModelBinding.validate(graph, outputName: outputName, kernels: kernels, path: path)
        return Result(graph: graph, binding: binding, storedTypes: storedTypes, quantizedWeights: quantizedWeights)
    }
}
