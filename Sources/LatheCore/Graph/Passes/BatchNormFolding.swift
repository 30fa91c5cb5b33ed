import Foundation

/// Folds a BatchNormalization into the Conv, ConvTranspose or Gemm before it,
/// as deployed models do: per output channel c, with s = γ/√(var+ε),
/// w'[c] = w[c]·s and b' = (b − mean)·s + β. Compression then applies to the
/// folded weights. The weight keeps its tensor name (it is the layer's name).
enum BatchNormFolding {
    @discardableResult
    static func apply(_ graph: inout Graph) -> Int {
        // Folded nodes are only marked while the pass runs, so the indices in `uses` stay valid and a fold
        // updates the entries it changes (`ActivationFusion` says why).
        var uses = GraphUses(graph)
        var removed = Set<Int>()
        let graphOutputs = graph.outputNames
        for index in graph.nodes.indices where graph.nodes[index].opType == "BatchNormalization" {
            if tryFold(at: index, in: &graph, uses: &uses, graphOutputs: graphOutputs) { removed.insert(index) }
        }
        guard !removed.isEmpty else { return 0 }
        graph.removeNodes(at: removed)
        return removed.count
    }

    /// Folds the BN node at `bnIndex` into its producer when that is safe; returns whether it did.
    private static func tryFold(at bnIndex: Int, in graph: inout Graph, uses: inout GraphUses,
                                graphOutputs: Set<String>) -> Bool {
        let bn = graph.nodes[bnIndex]
        guard bn.isDefaultDomain, let x = bn.input(0), let bnOutput = bn.outputs.first, !bnOutput.isEmpty,
              bn.outputs.dropFirst().allSatisfy({ $0.isEmpty || uses.uses(of: $0) == 0 }),
              bn.int("training_mode", default: 0) == 0,
              let gammaName = bn.input(1), let betaName = bn.input(2),
              let meanName = bn.input(3), let varName = bn.input(4),
              let gamma = graph.initializers[gammaName], let beta = graph.initializers[betaName],
              let mean = graph.initializers[meanName], let variance = graph.initializers[varName],
              let producerIndex = uses.producer[x], producerIndex < bnIndex,
              uses.uses(of: x) == 1, !graphOutputs.contains(x)
        else { return false }
        var producer = graph.nodes[producerIndex]
        guard producer.isDefaultDomain, producer.outputs.first == x, !FusedActivation.hasEpilogue(producer),
              ["Conv", "ConvTranspose", "Gemm"].contains(producer.opType),
              let weightName = producer.input(1), let weight = graph.initializers[weightName], weight.isFloat,
              uses.uses(of: weightName) == 1, !graphOutputs.contains(weightName),
              let layout = ChannelLayout(node: producer, weightShape: weight.shape)
        else { return false }
        let channels = layout.channels
        guard [gamma, beta, mean, variance].allSatisfy({ $0.count == channels && $0.isFloat }) else { return false }

        // The producer's current bias, as the vector it adds per output channel.
        var bias = [Double](repeating: 0, count: channels)
        let biasName = producer.input(2)
        if let biasName {
            guard let current = graph.initializers[biasName], current.isFloat else { return false }
            let factor = producer.opType == "Gemm" ? Double(producer.float("beta", default: 1)) : 1
            if current.count == channels, producer.opType != "Gemm" || current.rank <= 1
                || current.shape.dropLast().allSatisfy({ $0 == 1 }) {
                bias = current.floats.map { Double($0) * factor }
            } else if current.count == 1 {
                bias = [Double](repeating: Double(current.floats[0]) * factor, count: channels)
            } else {
                return false  // a bias per row of the batch cannot fold
            }
        }
        let epsilon = Double(bn.float("epsilon", default: 1e-5))
        var scale = [Double](repeating: 0, count: channels)
        var newBias = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            scale[c] = Double(gamma.floats[c]) / (Double(variance.floats[c]) + epsilon).squareRoot()
            newBias[c] = Float((bias[c] - Double(mean.floats[c])) * scale[c] + Double(beta.floats[c]))
        }

        var newWeight = weight
        layout.scale(&newWeight.floats, by: scale)
        graph.initializers[weightName] = newWeight

        let biasTensor = Tensor(shape: [channels], floats: newBias, dtype: weight.dtype)
        let resultBiasName: String
        if let biasName, uses.uses(of: biasName) == 1, !graphOutputs.contains(biasName) {
            resultBiasName = biasName
        } else {
            resultBiasName = uniqueName(weightName + "_bn_folded_bias", in: graph)
        }
        graph.initializers[resultBiasName] = biasTensor
        while producer.inputs.count < 3 { producer.inputs.append("") }
        producer.inputs[2] = resultBiasName
        if producer.opType == "Gemm" { producer.attributes["beta"] = .float(1) }
        producer.outputs[0] = bnOutput
        uses.forget(bn, at: bnIndex)
        uses.forget(graph.nodes[producerIndex], at: producerIndex)
        graph.nodes[producerIndex] = producer
        uses.record(producer, at: producerIndex)
        return true
    }

    static func uniqueName(_ base: String, in graph: Graph) -> String {
        var taken = Set(graph.initializers.keys)
        for node in graph.nodes { taken.formUnion(node.outputs) }
        taken.formUnion(graph.inputs.map(\.name))
        if !taken.contains(base) { return base }
        var suffix = 2
        while taken.contains("\(base)_\(suffix)") { suffix += 1 }
        return "\(base)_\(suffix)"
    }
}

/// Where the output channels lie in a Conv / ConvTranspose / Gemm weight.
struct ChannelLayout {
    /// Elements before the channel axis (ConvTranspose: input channels).
    let outer: Int
    /// Channels of the weight's channel axis.
    let axisSize: Int
    /// Elements after the channel axis.
    let inner: Int
    /// ConvTranspose: input channels per group (the channel index depends on the group).
    let inputChannelsPerGroup: Int
    let groups: Int

    /// Output channels of the node (ConvTranspose: axisSize × groups).
    var channels: Int { axisSize * groups }

    init?(node: Node, weightShape shape: [Int]) {
        guard shape.count >= 2 else { return nil }
        let count = shape.reduce(1, *)
        switch node.opType {
        case "Conv":
            (outer, axisSize, groups, inputChannelsPerGroup) = (1, shape[0], 1, 1)
            inner = count / max(shape[0], 1)
        case "ConvTranspose":
            let group = node.int("group", default: 1)
            guard group >= 1, shape[0] % group == 0 else { return nil }
            (outer, axisSize, groups) = (shape[0], shape[1], group)
            inputChannelsPerGroup = shape[0] / group
            inner = count / max(shape[0] * shape[1], 1)
        case "Gemm":
            guard shape.count == 2 else { return nil }
            if node.int("transB", default: 0) != 0 {
                (outer, axisSize, inner) = (1, shape[0], shape[1])
            } else {
                (outer, axisSize, inner) = (shape[0], shape[1], 1)
            }
            (groups, inputChannelsPerGroup) = (1, 1)
        default:
            return nil
        }
    }

    /// Multiplies every weight by its output channel's factor.
    func scale(_ values: inout [Float], by factors: [Double]) {
        values.withUnsafeMutableBufferPointer { buffer in
            for o in 0..<outer {
                let channelBase = groups > 1 ? (o / inputChannelsPerGroup) * axisSize : 0
                for a in 0..<axisSize {
                    let factor = factors[channelBase + a]
                    let start = (o * axisSize + a) * inner
                    for i in start..<(start + inner) { buffer[i] = Float(Double(buffer[i]) * factor) }
                }
            }
        }
    }
}
