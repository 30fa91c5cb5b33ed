/// The batch-independent pass pipeline the session runs at load. Every pass
/// keeps the values that feed layers as data under their names, or renames
/// only values that no layer reads, so layer input names stay what the live
/// engine caches. Identity elimination runs earlier, before validation.
enum GraphOptimizer {
    static func optimize(_ graph: inout Graph, kernels: [String: Kernel]) throws {
        try ConstantFolding.apply(&graph, kernels: kernels)
        BatchNormFolding.apply(&graph)
        ActivationFusion.apply(&graph)
        DeadNodeElimination.apply(&graph, keeping: graph.outputNames)
    }
}
