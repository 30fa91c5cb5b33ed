/// Turns the integer weights of an already-quantized model into layers
/// (DESIGN.md, Models: "an integer weight behind DequantizeLinear is a layer
/// with its stored bits").
///
/// Every `DequantizeLinear(weight, scale[, zero_point])` whose inputs are all
/// initializers, whose weight is a quantized integer type (int8, uint8,
/// int16, uint16, int4, uint4) and whose output a Conv, ConvTranspose, Gemm
/// or MatMul reads is evaluated once with the DequantizeLinear kernel; the
/// node goes and its exact float result becomes an initializer the layer
/// ops read. It is named by the integer weight's name when nothing else
/// reads that weight (the layer is named by the tensor the file stores),
/// else by the node's output. The stored type, scheme, granularity and bytes
/// are returned by that name, for `WeightLayer.stored`. Scales and zero
/// points nothing else reads are left for dead-code elimination.
///
/// Activation QuantizeLinear → DequantizeLinear pairs are untouched: they run
/// as kernels. Other constant DequantizeLinear nodes (int32 biases) are left
/// to constant folding.
enum WeightDequantization {
    static let layerOps: Set<String> = ["Conv", "ConvTranspose", "Gemm", "MatMul"]

    @discardableResult
    static func apply(_ graph: inout Graph) throws -> [String: StoredQuantization] {
        let uses = GraphUses(graph)
        let outputs = graph.outputNames
        var stored: [String: StoredQuantization] = [:]
        var renames: [String: String] = [:]
        var removed = Set<Int>()
        for (index, node) in graph.nodes.enumerated() where node.opType == "DequantizeLinear" && node.isDefaultDomain {
            guard let weightName = node.input(0), let scaleName = node.input(1),
                  let output = node.outputs.first, !output.isEmpty, !outputs.contains(output),
                  let weight = graph.initializers[weightName], let scale = graph.initializers[scaleName],
                  QuantizedArithmetic.quantizedTypes.contains(weight.dtype), weight.rank >= 2
            else { continue }
            let zeroPointName = node.input(2)
            var zeroPoint: Tensor?
            if let zeroPointName {
                guard let constant = graph.initializers[zeroPointName] else { continue }
                zeroPoint = constant
            }
            let readers = uses.consumers[output] ?? []
            guard readers.contains(where: { layerOps.contains(graph.nodes[$0].opType) }) else { continue }

            let inputs: [Tensor?] = [weight, scale, zeroPoint]
            guard let values = try LinearQuantization.dequantizeLinear(node, inputs).first else { continue }
            let layout = try QuantizationLayout(node: node, shape: weight.shape, scale: scale, zeroPoint: zeroPoint)
            let exclusive = uses.uses(of: weightName) == 1 && !outputs.contains(weightName)
            let name = exclusive ? weightName : output
            graph.initializers[name] = values
            if name != output { renames[output] = name }
            stored[name] = description(of: weight, scale: scale, zeroPoint: zeroPoint, layout: layout, node: node)
            removed.insert(index)
        }
        guard !removed.isEmpty else { return stored }
        graph.nodes = graph.nodes.enumerated().filter { !removed.contains($0.offset) }.map { entry in
            var node = entry.element
            node.inputs = node.inputs.map { renames[$0] ?? $0 }
            return node
        }
        return stored
    }

    /// `layers` with the stored quantization of those whose weight the pass produced.
    static func annotated(_ layers: [WeightLayer], with stored: [String: StoredQuantization]) -> [WeightLayer] {
        layers.map { layer in
            var layer = layer
            layer.stored = stored[layer.name]
            return layer
        }
    }

    static func description(of weight: Tensor, scale: Tensor, zeroPoint: Tensor?, layout: QuantizationLayout,
                            node: Node) -> StoredQuantization {
        let dtype = weight.dtype
        let unsigned = dtype.integerRange?.lowerBound == 0
        let midpoint: Int64 = unsigned ? 1 << Int64(dtype.bits - 1) : 0
        let zeros = zeroPoint?.ints ?? [0]
        let scheme: QuantizationScheme = zeros.allSatisfy { $0 == midpoint } ? .symmetric : .asymmetric
        let rank = weight.rank
        let rawAxis = node.int("axis", default: 1)
        let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
        let granularity: StoredQuantization.Granularity
        switch layout.mode {
        case .perTensor: granularity = .perTensor
        case .perAxis: granularity = .perChannel(axis: axis)
        case .blocked(let size): granularity = .blocked(axis: axis, size: size)
        }
        let size = TensorSize(payload: weight.storedBytes, scales: scale.storedBytes,
                              zeroPoints: zeroPoint?.storedBytes ?? 0)
        return StoredQuantization(dtype: dtype, scheme: scheme, granularity: granularity, size: size)
    }
}
