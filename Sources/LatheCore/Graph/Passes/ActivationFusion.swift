/// Fuses an activation into the Conv, ConvTranspose or Gemm whose output it
/// alone consumes: the producer gets `lathe.activation` (+ `lathe.alpha`,
/// `lathe.beta`, `lathe.min`, `lathe.max`), takes over the activation's output
/// name, and the activation node goes. The compute kernels apply it while the
/// result is still in cache. A Sigmoid and a Mul that multiplies the producer's
/// output by it (SiLU, every activation of a YOLO-style detector) fuse the same
/// way, as `SiLU`: two passes over memory and an intermediate tensor fewer.
enum ActivationFusion {
    static let producers: Set<String> = ["Conv", "ConvTranspose", "Gemm"]

    @discardableResult
    static func apply(_ graph: inout Graph) -> Int {
        var fused = 0
        var index = 0
        while index < graph.nodes.count {
            if tryFuse(at: index, in: &graph) {
                fused += 1
                continue
            }
            if tryFuseSiLU(at: index, in: &graph) {
                // The Sigmoid before this Mul went too: the next node moved back one place.
                fused += 1
                index -= 1
                continue
            }
            index += 1
        }
        return fused
    }

    private static func tryFuse(at index: Int, in graph: inout Graph) -> Bool {
        let activation = graph.nodes[index]
        guard activation.isDefaultDomain, let x = activation.input(0), let output = activation.outputs.first,
              !output.isEmpty, let attributes = fusedAttributes(of: activation, constants: graph.initializers)
        else { return false }
        let uses = GraphUses(graph)
        guard let producerIndex = uses.producer[x], producerIndex < index, uses.uses(of: x) == 1,
              !graph.outputNames.contains(x) else { return false }
        var producer = graph.nodes[producerIndex]
        guard producer.isDefaultDomain, producers.contains(producer.opType), producer.outputs.first == x,
              producer.attributes["lathe.activation"] == nil else { return false }
        producer.attributes.merge(attributes) { _, new in new }
        producer.outputs[0] = output
        graph.nodes[producerIndex] = producer
        graph.nodes.remove(at: index)
        graph.dropUnusedInitializers()
        return true
    }

    /// `y = Mul(x, Sigmoid(x))` (either operand order) where x comes from a fusable producer and
    /// is read by nothing else: the producer computes y itself.
    private static func tryFuseSiLU(at index: Int, in graph: inout Graph) -> Bool {
        let mul = graph.nodes[index]
        guard mul.isDefaultDomain, mul.opType == "Mul", mul.inputs.count == 2, let output = mul.outputs.first,
              !output.isEmpty else { return false }
        let uses = GraphUses(graph)
        for (xPosition, sPosition) in [(0, 1), (1, 0)] {
            let x = mul.inputs[xPosition], s = mul.inputs[sPosition]
            guard !x.isEmpty, !s.isEmpty, x != s, let sigmoidIndex = uses.producer[s], let producerIndex = uses.producer[x],
                  producerIndex < sigmoidIndex, sigmoidIndex < index else { continue }
            let sigmoid = graph.nodes[sigmoidIndex]
            var producer = graph.nodes[producerIndex]
            guard sigmoid.isDefaultDomain, sigmoid.opType == "Sigmoid", sigmoid.input(0) == x,
                  uses.uses(of: s) == 1, uses.uses(of: x) == 2, !graph.outputNames.contains(x),
                  !graph.outputNames.contains(s), producer.isDefaultDomain, producers.contains(producer.opType),
                  producer.outputs.first == x, producer.attributes["lathe.activation"] == nil else { continue }
            producer.attributes.merge(FusedActivation.silu.attributes) { _, new in new }
            producer.outputs[0] = output
            graph.nodes[producerIndex] = producer
            graph.nodes.remove(at: index)
            graph.nodes.remove(at: sigmoidIndex)
            return true
        }
        return false
    }

    /// The producer attributes describing `node` as a fused activation, or nil
    /// when it is not one the kernels can fuse.
    static func fusedAttributes(of node: Node, constants: [String: Tensor]) -> [String: AttributeValue]? {
        var result: [String: AttributeValue] = ["lathe.activation": .string(node.opType)]
        switch node.opType {
        case "Relu", "Sigmoid", "Tanh", "HardSwish":
            break
        case "LeakyRelu":
            result["lathe.alpha"] = .float(node.float("alpha", default: 0.01))
        case "HardSigmoid":
            result["lathe.alpha"] = .float(node.float("alpha", default: 0.2))
            result["lathe.beta"] = .float(node.float("beta", default: 0.5))
        case "Clip":
            // Opset < 11 gives min/max as attributes, later opsets as optional
            // inputs; only constant inputs can fuse.
            var low = node.float("min", default: -Float.infinity)
            var high = node.float("max", default: Float.infinity)
            for (position, isMin) in [(1, true), (2, false)] {
                guard let name = node.input(position) else { continue }
                guard let tensor = constants[name], tensor.count == 1 else { return nil }
                let value = tensor.asFloats[0]
                if isMin { low = value } else { high = value }
            }
            result["lathe.min"] = .float(low)
            result["lathe.max"] = .float(high)
        default:
            return nil
        }
        return result
    }
}
