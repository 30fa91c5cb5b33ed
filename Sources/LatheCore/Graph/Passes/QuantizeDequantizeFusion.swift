/// Runs each activation QuantizeLinear → DequantizeLinear pair of a QDQ model
/// (onnxruntime's `quantize_static`, TensorRT-style exports) as one node: the
/// QuantizeLinear gets `LinearQuantization.dequantizeKey`, takes over the
/// DequantizeLinear's output and returns its Float32 values (`FakeQuantization`,
/// bitwise the pair's). Apart, the pair wrote and read back an Int64 per element
/// and rounded in scalar code: 84% of an orientation classifier's time once
/// quantized.
///
/// Fused only when the quantized tensor is read by that one DequantizeLinear
/// and is not a graph output, and the two nodes' scale and zero point are the
/// same values (the same names, or constants equal in type, shape and bits),
/// with the same `axis` and `block_size`, and the result is Float32 (a Float32
/// constant scale, no other `output_dtype`). Runs after constant folding, so
/// computed scales are constants by then.
enum QuantizeDequantizeFusion {
    @discardableResult
    static func apply(_ graph: inout Graph) -> Int {
        // Fused-away nodes are only marked while the pass runs, so the indices in `uses` stay valid.
        var uses = GraphUses(graph)
        var removed = Set<Int>()
        let graphOutputs = graph.outputNames
        for index in graph.nodes.indices {
            let quantize = graph.nodes[index]
            guard quantize.isDefaultDomain, quantize.opType == "QuantizeLinear",
                  quantize.int(LinearQuantization.dequantizeKey) == nil,
                  let quantized = quantize.outputs.first, !quantized.isEmpty, quantize.outputs.count == 1,
                  !graphOutputs.contains(quantized), uses.uses(of: quantized) == 1,
                  let readerIndex = uses.consumers[quantized]?.first, !removed.contains(readerIndex)
            else { continue }
            let dequantize = graph.nodes[readerIndex]
            guard dequantize.isDefaultDomain, dequantize.opType == "DequantizeLinear",
                  dequantize.input(0) == quantized, dequantize.outputs.count == 1,
                  let output = dequantize.outputs.first, !output.isEmpty,
                  sameParameters(quantize, dequantize, constants: graph.initializers)
            else { continue }
            uses.forget(dequantize, at: readerIndex)
            removed.insert(readerIndex)
            uses.forget(quantize, at: index)
            var fused = quantize
            fused.outputs = [output]
            fused.attributes[LinearQuantization.dequantizeKey] = .int(1)
            graph.nodes[index] = fused
            uses.record(fused, at: index)
        }
        guard !removed.isEmpty else { return 0 }
        graph.removeNodes(at: removed)
        return removed.count
    }

    /// Whether the DequantizeLinear undoes exactly the QuantizeLinear's grid, into Float32.
    private static func sameParameters(_ quantize: Node, _ dequantize: Node, constants: [String: Tensor]) -> Bool {
        guard let scale = quantize.input(1), let dequantizeScale = dequantize.input(1),
              let scaleValue = constants[scale], scaleValue.dtype == .float32,
              same(scale, dequantizeScale, constants: constants),
              [0, DType.float32.onnxCode].contains(dequantize.int("output_dtype", default: 0)),
              quantize.int("axis", default: 1) == dequantize.int("axis", default: 1),
              quantize.int("block_size", default: 0) == dequantize.int("block_size", default: 0)
        else { return false }
        switch (quantize.input(2), dequantize.input(2)) {
        case (nil, nil): return true
        case let (a?, b?): return same(a, b, constants: constants)
        default: return false
        }
    }

    /// The same value: one name, or two constants equal in type, shape and stored bits.
    private static func same(_ a: String, _ b: String, constants: [String: Tensor]) -> Bool {
        if a == b { return true }
        guard let x = constants[a], let y = constants[b], x.dtype == y.dtype, x.shape == y.shape else { return false }
        if x.isFloat { return x.floats.map(\.bitPattern) == y.floats.map(\.bitPattern) }
        return x.ints == y.ints
    }
}
