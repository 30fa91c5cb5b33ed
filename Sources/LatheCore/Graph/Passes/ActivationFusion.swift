/// Fuses an activation into the Conv, ConvTranspose or Gemm whose output it
/// alone consumes: the producer gets `lathe.activation` (+ `lathe.alpha`,
/// `lathe.beta`, `lathe.min`, `lathe.max`), takes over the activation's output
/// name, and the activation node goes. The compute kernels apply it while the
/// result is still in cache. A Sigmoid and a Mul that multiplies the producer's
/// output by it (SiLU, every activation of a YOLO-style detector) fuse the same
/// way, as `SiLU`: two passes over memory and an intermediate tensor fewer.
/// A Mul, Add or Sub by a scalar constant fuses too, before or after the
/// activation (`FusedActivation.pre`/`post`): PP-LCNet's learnable affine
/// blocks put four of them around every activation.
enum ActivationFusion {
    static let producers: Set<String> = ["Conv", "ConvTranspose", "Gemm"]

    @discardableResult
    static func apply(_ graph: inout Graph) -> Int {
        // Fused-away nodes are only marked while the pass runs, so the indices in `uses` stay valid and each
        // fusion updates the few entries it changes. Rebuilding the map for every candidate was most of the load
        // time of a thousand-node model (PP-OCR's recognizer: 0.2 s of a one-sample `lathe eval`).
        var uses = GraphUses(graph)
        var removed = Set<Int>()
        var fused = 0
        let graphOutputs = graph.outputNames
        for index in graph.nodes.indices where !removed.contains(index) {
            if tryFuse(at: index, in: &graph, uses: &uses, removed: &removed, graphOutputs: graphOutputs)
                || tryFuseSiLU(at: index, in: &graph, uses: &uses, removed: &removed, graphOutputs: graphOutputs) {
                fused += 1
            }
        }
        guard fused > 0 else { return 0 }
        graph.removeNodes(at: removed)
        return fused
    }

    /// The epilogue's stages in the order they apply; a node fuses into a stage after every filled one.
    private enum Stage: Int {
        case preScale, preShift, activation, postScale, postShift

        var key: String {
            switch self {
            case .preScale: return FusedActivation.preScaleKey
            case .preShift: return FusedActivation.preShiftKey
            case .activation: return FusedActivation.activationKey
            case .postScale: return FusedActivation.postScaleKey
            case .postShift: return FusedActivation.postShiftKey
            }
        }

        /// The last stage `producer` fills (nil when it has no epilogue).
        static func last(of producer: Node) -> Stage? {
            [Stage.postShift, .postScale, .activation, .preShift, .preScale].first { producer.attributes[$0.key] != nil }
        }
    }

    private static func tryFuse(at index: Int, in graph: inout Graph, uses: inout GraphUses, removed: inout Set<Int>,
                                graphOutputs: Set<String>) -> Bool {
        let node = graph.nodes[index]
        guard node.isDefaultDomain, let output = node.outputs.first, !output.isEmpty,
              let (x, stages, attributes) = fusion(of: node, constants: graph.initializers)
        else { return false }
        guard let producerIndex = uses.producer[x], producerIndex < index, uses.uses(of: x) == 1,
              !graphOutputs.contains(x) else { return false }
        var producer = graph.nodes[producerIndex]
        let filled = Stage.last(of: producer)?.rawValue ?? -1
        guard producer.isDefaultDomain, producers.contains(producer.opType), producer.outputs.first == x,
              let stage = stages.first(where: { $0.rawValue > filled }) else { return false }
        producer.attributes.merge(attributes(stage)) { _, new in new }
        producer.outputs[0] = output
        graph.nodes[producerIndex] = producer
        removed.insert(index)
        uses.forget(node, at: index)
        uses.moveOutput(from: x, to: output, producer: producerIndex)
        return true
    }

    /// `y = Mul(x, Sigmoid(x))` (either operand order) where x comes from a fusable producer and
    /// is read by nothing else: the producer computes y itself.
    private static func tryFuseSiLU(at index: Int, in graph: inout Graph, uses: inout GraphUses,
                                    removed: inout Set<Int>, graphOutputs: Set<String>) -> Bool {
        let mul = graph.nodes[index]
        guard mul.isDefaultDomain, mul.opType == "Mul", mul.inputs.count == 2, let output = mul.outputs.first,
              !output.isEmpty else { return false }
        for (xPosition, sPosition) in [(0, 1), (1, 0)] {
            let x = mul.inputs[xPosition], s = mul.inputs[sPosition]
            guard !x.isEmpty, !s.isEmpty, x != s, let sigmoidIndex = uses.producer[s], let producerIndex = uses.producer[x],
                  producerIndex < sigmoidIndex, sigmoidIndex < index else { continue }
            let sigmoid = graph.nodes[sigmoidIndex]
            var producer = graph.nodes[producerIndex]
            guard sigmoid.isDefaultDomain, sigmoid.opType == "Sigmoid", sigmoid.input(0) == x,
                  uses.uses(of: s) == 1, uses.uses(of: x) == 2, !graphOutputs.contains(x),
                  !graphOutputs.contains(s), producer.isDefaultDomain, producers.contains(producer.opType),
                  producer.outputs.first == x,
                  (Stage.last(of: producer)?.rawValue ?? -1) < Stage.activation.rawValue else { continue }
            producer.attributes.merge(FusedActivation.silu.attributes) { _, new in new }
            producer.outputs[0] = output
            graph.nodes[producerIndex] = producer
            removed.formUnion([index, sigmoidIndex])
            uses.forget(mul, at: index)
            uses.forget(sigmoid, at: sigmoidIndex)
            uses.moveOutput(from: x, to: output, producer: producerIndex)
            return true
        }
        return false
    }

    /// What fusing `node` takes: the value it reads from the producer, the stages it may fill (the first
    /// one after the producer's filled stages is taken) and the attributes for a stage; nil when `node`
    /// cannot fuse.
    private static func fusion(of node: Node, constants: [String: Tensor])
        -> (x: String, stages: [Stage], attributes: (Stage) -> [String: AttributeValue])? {
        if let attributes = fusedAttributes(of: node, constants: constants), let x = node.input(0) {
            return (x, [.activation], { _ in attributes })
        }
        guard ["Mul", "Add", "Sub"].contains(node.opType), node.inputs.count == 2 else { return nil }
        // A scalar (rank 0 or [1]) so the product keeps the producer's shape; Sub only as x - c.
        let positions = node.opType == "Sub" ? [(0, 1)] : [(0, 1), (1, 0)]
        for (xPosition, cPosition) in positions {
            let x = node.inputs[xPosition]
            guard !x.isEmpty, let c = constants[node.inputs[cPosition]], c.dtype == .float32, c.count == 1,
                  c.shape.count <= 1, constants[x] == nil else { continue }
            let value = c.asFloats[0]
            switch node.opType {
            case "Mul": return (x, [.preScale, .postScale], { [$0.key: .float(value)] })
            case "Add": return (x, [.preShift, .postShift], { [$0.key: .float(value)] })
            default: return (x, [.preShift, .postShift], { [$0.key: .float(-value)] })
            }
        }
        return nil
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
            guard let (low, high) = clipBounds(node, constants: constants) else { return nil }
            result["lathe.min"] = .float(low)
            result["lathe.max"] = .float(high)
        default:
            return nil
        }
        return result
    }

    /// A Clip's bounds when both are constant: opset < 11 gives them as attributes, later opsets as
    /// optional inputs (an absent one does not clip).
    static func clipBounds(_ clip: Node, constants: [String: Tensor]) -> (Float, Float)? {
        var low = clip.float("min", default: -Float.infinity), high = clip.float("max", default: Float.infinity)
        for (position, isMin) in [(1, true), (2, false)] {
            guard let name = clip.input(position) else { continue }
            guard let t = constants[name], t.isFloat, t.count == 1 else { return nil }
            if isMin { low = t.asFloats[0] } else { high = t.asFloats[0] }
        }
        return (low, high)
    }
}
