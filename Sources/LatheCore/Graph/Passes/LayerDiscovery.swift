/// Finds the weight layers of an optimised graph (DESIGN.md, Models): every
/// Conv, ConvTranspose, Gemm or MatMul whose weight operand is a constant of
/// rank ≥ 2, and the W and R inputs of LSTM, GRU, RNN when constant (two
/// layers of one node, both bound to X as their data). A weight read by
/// several nodes (tied weights) is one layer.
enum LayerDiscovery {
    /// Where a layer's data enters one of its nodes.
    struct Binding: Sendable, Equatable {
        var layerName: String
        /// Index of the consuming node in the optimised graph.
        var nodeIndex: Int
        /// The node's first named output: identifies the node across per-batch specialisation.
        var nodeKey: String
        /// Which node input is the data (the other operand is the weight).
        var dataPosition: Int
        var dataName: String
        /// Elements of one sample's data (nil where shape inference did not reach it).
        var dataElements: Int?
    }

    struct Found {
        var layers: [WeightLayer] = []
        var bindings: [Binding] = []
        /// Nodes whose MACs need shapes this analysis lacked (layer name, node index).
        var missingShapes: [String] = []
    }

    /// `shapes` are per-sample shapes (the graph specialised to batch 1).
    static func find(in graph: Graph, shapes: [String: [Int]]) -> Found {
        var found = Found()
        var indexOfLayer: [String: Int] = [:]
        for (nodeIndex, node) in graph.nodes.enumerated() where node.isDefaultDomain {
          for (weightPosition, dataPosition) in layerOperands(of: node, constants: graph.initializers) {
            guard let weightName = node.input(weightPosition), let dataName = node.input(dataPosition),
                  let weight = graph.initializers[weightName], let output = node.outputs.first(where: { !$0.isEmpty })
            else { continue }
            let macs = macsPerSample(node: node, weight: weight, weightPosition: weightPosition,
                                     dataShape: shapes[dataName], outputShape: shapes[output])
            if macs == nil { found.missingShapes.append(weightName) }
            found.bindings.append(Binding(layerName: weightName, nodeIndex: nodeIndex, nodeKey: output,
                                          dataPosition: dataPosition, dataName: dataName,
                                          dataElements: shapes[dataName].flatMap { $0.allSatisfy { $0 > 0 } ? $0.reduce(1, *) : nil }))
            if let existing = indexOfLayer[weightName] {
                found.layers[existing].macs += macs ?? 0
                continue
            }
            let axes = self.axes(of: node, weightRank: weight.rank, weightPosition: weightPosition)
            // MatMul has no bias; input 2 of MatMulInteger and ConvInteger is the data's zero point.
            let biasName = ["MatMul", "MatMulInteger", "ConvInteger"].contains(node.opType) ? nil
                : node.input(isRecurrent(node) ? 3 : 2)
            indexOfLayer[weightName] = found.layers.count
            found.layers.append(WeightLayer(
                name: weightName, op: LayerOp(rawValue: node.opType) ?? .matMul, nodeName: node.name,
                shape: weight.shape, channelAxis: axes.channel, reductionAxis: axes.reduction,
                groups: node.opType.hasPrefix("Conv") ? node.int("group", default: 1) : 1,
                biasName: biasName, macs: macs ?? 0, isRecurrence: isRecurrent(node) && weightPosition == 2))
            found.layers[found.layers.count - 1].hasSequenceLengths = isRecurrent(node) && node.input(4) != nil
          }
        }
        return found
    }

    static func isRecurrent(_ node: Node) -> Bool { ["LSTM", "GRU", "RNN"].contains(node.opType) }

    /// Every (weight input index, data input index) of `node` that makes a layer:
    /// W (input 1) and R (input 2) of a recurrent node, each constant, with X as data.
    static func layerOperands(of node: Node, constants: [String: Tensor]) -> [(Int, Int)] {
        guard isRecurrent(node) else { return operands(of: node, constants: constants).map { [$0] } ?? [] }
        guard let x = node.input(0), constants[x] == nil else { return [] }
        return [1, 2].filter { index in
            guard let name = node.input(index), let tensor = constants[name] else { return false }
            return tensor.rank == 3 && tensor.isFloat
        }.map { ($0, 0) }
    }

    /// (weight input index, data input index) when `node` makes a layer.
    static func operands(of node: Node, constants: [String: Tensor]) -> (Int, Int)? {
        let isWeight = { (index: Int) -> Bool in
            guard let name = node.input(index), let tensor = constants[name] else { return false }
            return tensor.rank >= 2 && tensor.isFloat
        }
        let isData = { (index: Int) -> Bool in
            guard let name = node.input(index) else { return false }
            return constants[name] == nil
        }
        switch node.opType {
        case "Conv", "ConvTranspose", "Gemm":
            return isWeight(1) && isData(0) ? (1, 0) : nil
        case "MatMulInteger", "ConvInteger":
            // Float only after IntegerWeightLayers made the stored integers a layer.
            return isWeight(1) && isData(0) ? (1, 0) : nil
        case "MatMul":
            if isWeight(1) && isData(0) { return (1, 0) }
            if isWeight(0) && isData(1) { return (0, 1) }
            return nil
        default:
            return nil
        }
    }

    /// Output-channel and reduction axes (WeightLayer's doc). A MatMul weight on
    /// the left computes W·X, so its rows are the output channels.
    static func axes(of node: Node, weightRank rank: Int, weightPosition: Int) -> (channel: Int, reduction: Int) {
        switch node.opType {
        case "Conv", "ConvInteger": return (0, 1)
        case "ConvTranspose": return (1, 0)
        case "Gemm": return node.int("transB", default: 0) != 0 ? (0, 1) : (1, 0)
        case "LSTM", "GRU", "RNN": return (1, 2)
        default: return weightPosition == 1 ? (rank - 1, rank - 2) : (rank - 2, rank - 1)
        }
    }

    /// Multiply-accumulates for one sample; nil when a needed shape is unknown.
    static func macsPerSample(node: Node, weight: Tensor, weightPosition: Int, dataShape: [Int]?,
                              outputShape: [Int]?) -> Int? {
        let w = weight.shape
        switch node.opType {
        case "Conv", "ConvInteger":
            // Each output element sums (C_in/group) × kernel-size products.
            guard let outputShape, w[0] > 0 else { return nil }
            return outputShape.reduce(1, *) * (weight.count / w[0])
        case "ConvTranspose":
            // Each input element scatters into (C_out/group) × kernel-size outputs.
            guard let dataShape, w[0] > 0 else { return nil }
            return dataShape.reduce(1, *) * (weight.count / w[0])
        case "Gemm":
            guard let outputShape else { return nil }
            let k = node.int("transB", default: 0) != 0 ? w[1] : w[0]
            return outputShape.reduce(1, *) * k
        case "LSTM", "GRU", "RNN":
            // Every weight once per time step (and per batch entry of the one-sample X).
            guard let dataShape, dataShape.count == 3 else { return nil }
            let layout = node.int("layout", default: 0)
            let steps = layout == 0 ? dataShape[0] : dataShape[1]
            let batch = layout == 0 ? dataShape[1] : dataShape[0]
            return weight.count * steps * batch
        default:
            guard let outputShape else { return nil }
            let k = weightPosition == 1 ? w[w.count - 2] : w[w.count - 1]
            return outputShape.reduce(1, *) * k
        }
    }
}
