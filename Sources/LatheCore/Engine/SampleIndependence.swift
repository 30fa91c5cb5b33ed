/// Lathe scores samples independently: it batches them, pads a short last
/// batch, splits batches across cores and orders them for early estimates.
/// A model whose recurrent op runs over the samples themselves (its time axis
/// follows the batch size, as in streaming voice-activity exports that treat
/// each chunk as a time step) gives outputs that depend on all of that, so it
/// is refused at load, naming the node, rather than scored wrongly.
enum SampleIndependence {
    static let recurrentOps: Set<String> = ["LSTM", "GRU", "RNN"]

    /// `two`/`three`: value shapes with the graph specialised at batch sizes 2 and 3.
    static func check(_ graph: Graph, two: [String: [Int]], three: [String: [Int]], path: String) throws {
        for node in graph.nodes where node.isDefaultDomain && recurrentOps.contains(node.opType) {
            guard let x = node.input(0), let atTwo = two[x], let atThree = three[x],
                  let batchAxis = OutputBatchAxis.followingAxis(atTwo, atThree) else { continue }
            let timeAxis = node.int("layout", default: 0) == 0 ? 0 : 1
            guard batchAxis == timeAxis else { continue }
            let shape = atTwo.enumerated().map { $0.offset == batchAxis ? "N" : String($0.element) }
                .joined(separator: ", ")
            throw LatheError.badInput(file: path, "\(node.opType) node '\(node.displayName)' runs over the samples "
                + "as its time steps (its input X is [\(shape)] with the samples on the time axis), so each output "
                + "depends on the samples before it and on how they are batched. Lathe scores samples "
                + "independently and cannot evaluate this model; export it with the time steps on an axis of "
                + "their own (e.g. a [N, T, ...] input)")
        }
    }

    /// Ops whose result for a sample depends on the whole batch: DynamicQuantizeLinear takes one range over
    /// its whole input (onnxruntime's `quantize_dynamic`). Lathe runs such a model as batched, so its numbers
    /// depend on the batch size (every evaluation of one dataset uses the same batches, `EvaluationSchedule`).
    static let batchWideOps: Set<String> = ["DynamicQuantizeLinear"]

    /// Whether a node of `graph`, or of a subgraph inside it, is a `batchWideOps` op.
    static func couplesSamples(_ graph: Graph) -> Bool {
        graph.nodes.contains { node in
            (node.isDefaultDomain && batchWideOps.contains(node.opType))
                || node.attributes.values.contains { attribute in
                    switch attribute {
                    case .graph(let body): return couplesSamples(body)
                    case .graphs(let bodies): return bodies.contains(where: couplesSamples)
                    default: return false
                    }
                }
        }
    }
}
