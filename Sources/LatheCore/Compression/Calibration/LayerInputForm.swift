/// How a layer's data input becomes the input vectors its weight rows are dotted with —
/// the `x` of GPTQ's Hessian and bias correction's E[x] (README "Recovery methods"):
/// a Conv's receptive fields (im2col patches, per group), or the rows (columns) of a
/// Gemm's or MatMul's data operand.
enum LayerInputForm: Sendable {
    /// Vectors along the data's last axis (Gemm with transA = 0, MatMul X·W).
    case lastAxis(length: Int)
    /// Vectors along the data's second-to-last axis (Gemm with transA = 1, MatMul W·X).
    case secondToLastAxis(length: Int)
    /// Conv receptive fields: per group, channelsPerGroup × kernel values in the weight's order.
    case patches(attributes: WindowAttributes, groups: Int, channelsPerGroup: Int, node: Node)
    /// ConvTranspose (group 1) with weight [in, out, k…]: output channel oc's row is w[:, oc, k…] in
    /// (in channel, tap) order, and output position o takes x[ic, i] through tap k where
    /// o = i·stride + k·dilation − pad_begin per axis. So the vector of position o holds, per
    /// (ic, k), x[ic, (o + pad_begin − k·dilation) / stride] when that is a whole in-range index, else 0.
    case transposedPatches(weightShape: [Int], node: Node)
    /// A recurrent R [D, G·H, H]: per direction (a Hessian each), the hidden states H_{t-1} its rows
    /// multiply — the initial state (0 without one) and every step's output but the last, in the
    /// direction's time order — of the uncompressed run, recomputed by the engine's own kernel from
    /// the node's inputs (`extraInputs`), since Y need not be an output of the node.
    case hiddenStates(node: Node, directions: Int, hidden: Int)

    /// Groups with a Hessian of their own (a Conv's groups; 1 otherwise).
    var groups: Int {
        if case .patches(_, let groups, _, _) = self { return groups }
        if case .hiddenStates(_, let directions, _) = self { return directions }
        return 1
    }

    /// Node inputs besides the data the statistics need (a recurrent R: W, R, B, initial states, P).
    var extraInputs: [String] {
        guard case .hiddenStates(let node, _, _) = self else { return [] }
        return node.inputs.dropFirst().filter { !$0.isEmpty }
    }

    /// Length of one input vector (per group).
    var columns: Int {
        switch self {
        case .lastAxis(let length), .secondToLastAxis(let length): return length
        case let .patches(attributes, _, channelsPerGroup, _): return channelsPerGroup * attributes.kernel.reduce(1, *)
        case .transposedPatches(let shape, _): return shape[0] * shape.dropFirst(2).reduce(1, *)
        case .hiddenStates(_, _, let hidden): return hidden
        }
    }

    /// Why GPTQ and bias correction cannot use this layer's inputs (nil when they can).
    static func unsupportedReason(_ layer: WeightLayer) -> String? {
        switch layer.op {
        case .conv, .gemm: return nil
        case .matMul:
            return layer.shape.count == 2 ? nil
                : "needs a 2-D MatMul weight; \(layer.name) has \(layer.shape.count) axes"
        case .convTranspose:
            return layer.groups <= 1 ? nil
                : "needs a ConvTranspose of group 1; \(layer.name) has group \(layer.groups)"
        case .lstm, .gru, .rnn:
            return layer.hasSequenceLengths
                ? "needs a \(layer.op.rawValue) node without sequence_lens; the one reading \(layer.name) has them" : nil
        case .matMulInteger, .convInteger:
            return "is not available for \(layer.op.rawValue) layers such as \(layer.name) "
                + "(supported: Conv, ConvTranspose of group 1, Gemm, 2-D MatMul, LSTM / GRU / RNN weights)"
        }
    }

    /// The form for `layer` as `node` (the node reading it) consumes it.
    init(layer: WeightLayer, node: Node) throws {
        if let reason = Self.unsupportedReason(layer) { throw LatheError.badInput(reason) }
        switch layer.op {
        case .conv:
            let kernel = Array(layer.shape.dropFirst(2))
            let attributes = try WindowAttributes(node: node, kernel: kernel)
            self = .patches(attributes: attributes, groups: max(1, layer.groups),
                            channelsPerGroup: layer.shape[1], node: node)
        case .convTranspose:
            self = .transposedPatches(weightShape: layer.shape, node: node)
        case .lstm, .gru, .rnn:
            guard node.input(4) == nil else {
                throw LatheError.badInput("\(layer.name): GPTQ / SparseGPT on a recurrent weight needs a node without "
                    + "sequence_lens (\(node.displayName) has one)")
            }
            // W multiplies X_t (every direction the same X); R the previous hidden state of its direction.
            self = layer.isRecurrence ? .hiddenStates(node: node, directions: layer.shape[0], hidden: layer.shape[2])
                : .lastAxis(length: layer.shape[2])
        case .gemm:
            let length = layer.shape[layer.reductionAxis]
            self = node.int("transA", default: 0) != 0 ? .secondToLastAxis(length: length) : .lastAxis(length: length)
        default:
            // MatMul: a weight on the right (input 1) reduces the data's last axis; on the left, its rows.
            let length = layer.shape[layer.reductionAxis]
            self = node.input(1) == layer.name ? .lastAxis(length: length) : .secondToLastAxis(length: length)
        }
    }
}
