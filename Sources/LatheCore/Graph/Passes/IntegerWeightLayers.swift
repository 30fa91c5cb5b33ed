/// Turns the integer weights of a dynamically quantized model (onnxruntime's
/// `quantize_dynamic`: DynamicQuantizeLinear → MatMulInteger or ConvInteger → Cast →
/// Mul by the two scales) into layers.
///
/// Every MatMulInteger (input B) or ConvInteger (input w) whose weight is an int8 or
/// uint8 initializer of rank ≥ 2 that nothing else reads, with a constant zero point
/// (or none), and whose data input is not a constant, gets the weight as float32
/// whole numbers `w − zero_point` under the same name, and loses the zero point
/// input: the product is the same integers, so the model runs exactly as before.
/// The layer (LayerDiscovery: `LayerOp.matMulInteger`, `.convInteger`) therefore
/// holds the weights in integer units; its histogram and statistics are of
/// `w − zero_point` (the weight scale lives in the Mul after the Cast and is not
/// applied: it is one positive factor per tensor in onnxruntime's output, and the
/// integers are what the file stores). Compression keeps to whole numbers
/// (`UniformQuantizer`'s integer grid), which the kernels check
/// (`IntegerWeightOperand`). The stored type, scheme, granularity and bytes (the
/// integers and zero points; the scale is another tensor) are returned by name.
///
/// Runs after constant folding, which would otherwise fold nothing here but must
/// not see a float weight it could fold into the integer node's operand.
enum IntegerWeightLayers {
    static let ops: Set<String> = ["MatMulInteger", "ConvInteger"]

    @discardableResult
    static func apply(_ graph: inout Graph) -> [String: StoredQuantization] {
        let uses = GraphUses(graph)
        let outputs = graph.outputNames
        var stored: [String: StoredQuantization] = [:]
        for index in graph.nodes.indices {
            let node = graph.nodes[index]
            guard ops.contains(node.opType), node.isDefaultDomain,
                  let data = node.input(0), graph.initializers[data] == nil,
                  let name = node.input(1), let weight = graph.initializers[name],
                  weight.dtype == .int8 || weight.dtype == .uint8, weight.rank >= 2,
                  uses.uses(of: name) == 1, !outputs.contains(name)
            else { continue }
            var zeroPoint: Tensor?
            if let zeroName = node.input(3) {
                guard let constant = graph.initializers[zeroName], constant.dtype == weight.dtype else { continue }
                zeroPoint = constant
            }
            // MatMulInteger: one zero point, or one per column of B (its last axis); ConvInteger: one, or one
            // per output channel (axis 0). Anything else is left to the kernel to judge.
            let axis = node.opType == "ConvInteger" ? 0 : weight.rank - 1
            guard let zeros = zeroPoints(zeroPoint, count: weight.shape[axis]) else { continue }
            let layout = AxisLayout(shape: weight.shape, axis: axis)
            let slice = layout.sliceSize
            var values = layout.gather(weight.ints.map { Float($0) })
            for channel in 0..<layout.length {
                for i in (channel * slice)..<((channel + 1) * slice) { values[i] -= Float(zeros[channel]) }
            }
            graph.initializers[name] = Tensor(shape: weight.shape, floats: layout.scatter(values))
            var rewritten = node
            rewritten.inputs = Array(node.inputs.prefix(3))
            while let last = rewritten.inputs.last, last.isEmpty { rewritten.inputs.removeLast() }
            graph.nodes[index] = rewritten
            stored[name] = description(of: weight, zeroPoint: zeroPoint, axis: axis)
        }
        return stored  // the zero points nothing reads now are left for dead-code elimination
    }

    /// One zero point per index of the channel axis (zeros when absent); nil when the shape fits neither form.
    static func zeroPoints(_ zeroPoint: Tensor?, count: Int) -> [Int64]? {
        guard let zeroPoint else { return [Int64](repeating: 0, count: count) }
        if zeroPoint.count == 1 { return [Int64](repeating: zeroPoint.ints[0], count: count) }
        guard zeroPoint.rank == 1, zeroPoint.count == count else { return nil }
        return zeroPoint.ints
    }

    static func description(of weight: Tensor, zeroPoint: Tensor?, axis: Int) -> StoredQuantization {
        let midpoint: Int64 = weight.dtype == .uint8 ? 128 : 0
        let zeros = zeroPoint?.ints ?? [0]
        let scheme: QuantizationScheme = zeros.allSatisfy { $0 == midpoint } ? .symmetric : .asymmetric
        let granularity: StoredQuantization.Granularity = zeros.count > 1 ? .perChannel(axis: axis) : .perTensor
        let size = TensorSize(payload: weight.storedBytes, scales: 0, zeroPoints: zeroPoint?.storedBytes ?? 0)
        return StoredQuantization(dtype: weight.dtype, scheme: scheme, granularity: granularity, size: size)
    }
}
