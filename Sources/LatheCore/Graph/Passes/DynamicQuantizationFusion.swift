/// Keeps a dynamically quantized model's integers in Float between its nodes
/// (onnxruntime's `quantize_dynamic`: DynamicQuantizeLinear → ConvInteger or
/// MatMulInteger → Cast to float → Mul by the scales). Apart, each layer wrote
/// its quantized input as Int64 (eight bytes an element), shifted it by the zero
/// point into a fresh Float copy for the float kernels, and wrote the sums as
/// Int64 for the Cast to convert back: on a quantized orientation classifier,
/// more time in fresh pages and conversions than in the arithmetic.
///
/// - The DynamicQuantizeLinear gets `LinearQuantization.stepsKey`: its output 0
///   is `q − zero point` as Float32 (scale and zero point unchanged).
/// - Each reader gets `IntegerProductsInFloat.shiftedInputKey` and loses the
///   zero-point input (applied already), and, when one Cast to float alone reads
///   its sums, `floatSumsKey`, taking over the Cast's output (the Cast goes).
///
/// Only when every reader of the quantized tensor is a ConvInteger or
/// MatMulInteger reading it as its data input with the same node's zero point,
/// and it is not a graph output. The values are those of the unfused nodes:
/// the same integers, the same sums (`IntegerProductsInFloat`), and a Cast of
/// int32 to float is the Float conversion the fused result makes. Runs after
/// `IntegerWeightLayers`; the layers keep their names (a layer's input is still
/// the quantized tensor's name, now holding its shifted values).
enum DynamicQuantizationFusion {
    static let readers: Set<String> = ["ConvInteger", "MatMulInteger"]

    @discardableResult
    static func apply(_ graph: inout Graph) -> Int {
        var uses = GraphUses(graph)
        var removed = Set<Int>()
        let graphOutputs = graph.outputNames
        var fused = 0
        for index in graph.nodes.indices {
            let quantize = graph.nodes[index]
            guard quantize.isDefaultDomain, quantize.opType == "DynamicQuantizeLinear",
                  quantize.int(LinearQuantization.stepsKey) == nil, quantize.outputs.count == 3,
                  !quantize.outputs[0].isEmpty, !quantize.outputs[2].isEmpty,
                  !graphOutputs.contains(quantize.outputs[0]),
                  let readerIndices = uses.consumers[quantize.outputs[0]], !readerIndices.isEmpty,
                  readerIndices.count == uses.uses(of: quantize.outputs[0]),
                  readerIndices.allSatisfy({ reads(graph.nodes[$0], quantized: quantize.outputs[0],
                                                  zeroPoint: quantize.outputs[2]) })
            else { continue }
            uses.forget(quantize, at: index)
            graph.nodes[index].attributes[LinearQuantization.stepsKey] = .int(1)
            uses.record(graph.nodes[index], at: index)
            for readerIndex in readerIndices {
                var reader = graph.nodes[readerIndex]
                uses.forget(reader, at: readerIndex)
                reader.inputs[2] = ""
                while reader.inputs.last == "" { reader.inputs.removeLast() }
                reader.attributes[IntegerProductsInFloat.shiftedInputKey] = .int(1)
                if let (castIndex, cast) = floatCast(of: reader, graph: graph, uses: uses, graphOutputs: graphOutputs) {
                    uses.forget(cast, at: castIndex)
                    removed.insert(castIndex)
                    uses.moveOutput(from: reader.outputs[0], to: cast.outputs[0], producer: readerIndex)
                    reader.outputs = [cast.outputs[0]]
                    reader.attributes[IntegerProductsInFloat.floatSumsKey] = .int(1)
                }
                graph.nodes[readerIndex] = reader
                uses.record(reader, at: readerIndex)
            }
            fused += 1
        }
        if !removed.isEmpty { graph.removeNodes(at: removed) }
        return fused
    }

    /// Whether `node` is an integer product reading `quantized` as its data input only, with `zeroPoint` as its
    /// data zero point (input 2).
    private static func reads(_ node: Node, quantized: String, zeroPoint: String) -> Bool {
        node.isDefaultDomain && readers.contains(node.opType) && node.int(IntegerProductsInFloat.shiftedInputKey) == nil
            && node.inputs.count >= 3 && node.inputs[0] == quantized && node.inputs[2] == zeroPoint
            && !node.inputs.dropFirst().contains(quantized) && node.outputs.count == 1 && !node.outputs[0].isEmpty
    }

    /// The Cast to float32 that alone reads `reader`'s sums (which are not a graph output), if there is one.
    private static func floatCast(of reader: Node, graph: Graph, uses: GraphUses,
                                  graphOutputs: Set<String>) -> (Int, Node)? {
        let sums = reader.outputs[0]
        guard !graphOutputs.contains(sums), uses.uses(of: sums) == 1, let castIndex = uses.consumers[sums]?.first
        else { return nil }
        let cast = graph.nodes[castIndex]
        guard cast.isDefaultDomain, cast.opType == "Cast", cast.int("to") == DType.float32.onnxCode,
              cast.outputs.count == 1, !cast.outputs[0].isEmpty else { return nil }
        return (castIndex, cast)
    }
}
