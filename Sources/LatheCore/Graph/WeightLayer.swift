/// The ops whose weight tensor makes a "layer" (DESIGN.md, Models).
public enum LayerOp: String, Sendable, Codable, CaseIterable {
    case conv = "Conv"
    case convTranspose = "ConvTranspose"
    case gemm = "Gemm"
    case matMul = "MatMul"
    case lstm = "LSTM"
    case gru = "GRU"
    case rnn = "RNN"
    /// An integer weight of onnxruntime's dynamic quantization, read directly by the integer kernel.
    case matMulInteger = "MatMulInteger"
    case convInteger = "ConvInteger"

    /// LSTM, GRU, RNN: W [D, G·H, I] and R [D, G·H, H], one matrix per direction.
    public var isRecurrent: Bool { self == .lstm || self == .gru || self == .rnn }

    /// MatMulInteger, ConvInteger: the kernel multiplies integers, so the layer holds whole numbers
    /// (the stored integers minus their zero point) and every compression of it must keep to them.
    public var holdsIntegers: Bool { self == .matMulInteger || self == .convInteger }
}

/// A weight tensor consumed by Conv, ConvTranspose, Gemm or MatMul (rank ≥ 2),
/// or the W or R tensor of LSTM, GRU, RNN, or the integer weight MatMulInteger
/// or ConvInteger reads (`IntegerWeightLayers`), named by its tensor name everywhere.
/// Shapes are those of the deployed (BatchNorm-folded) weight.
public struct WeightLayer: Sendable, Equatable {
    /// The weight tensor's name: the layer's identity in UI, config, CLI and exports.
    public var name: String
    public var op: LayerOp
    /// Name of the consuming node (may be empty in the file; see `Node.displayName`).
    public var nodeName: String
    public var shape: [Int]
    /// Output-channel axis: Conv 0, ConvTranspose 1, Gemm 0 if transB else 1, MatMul 1,
    /// LSTM/GRU/RNN 1 (the gate rows of [num_directions, gates·hidden, in]).
    public var channelAxis: Int
    /// Reduction (input) axis used by 2:4 sparsity: Conv 1, ConvTranspose 0,
    /// Gemm 1 if transB else 0, MatMul 0, LSTM/GRU/RNN 2.
    public var reductionAxis: Int
    /// Conv/ConvTranspose `group` attribute (1 otherwise).
    public var groups: Int
    /// Name of the bias tensor the layer adds, if any (after BN folding).
    public var biasName: String?
    /// Multiply-accumulates per sample.
    public var macs: Int
    /// The R tensor of LSTM/GRU/RNN: its data is the hidden state, computed
    /// inside the node, so activation quantization (`abits`) does not apply.
    public var isRecurrence: Bool
    /// How the file stores the weight when it is an integer tensor behind DequantizeLinear.
    public var stored: StoredQuantization? = nil
    /// A weight of an LSTM/GRU/RNN node given sequence_lens: its padded steps are not inputs its
    /// rows see, which GPTQ's statistics do not model (so GPTQ / SparseGPT refuse it).
    public var hasSequenceLengths = false

    public init(name: String, op: LayerOp, nodeName: String, shape: [Int], channelAxis: Int, reductionAxis: Int,
                groups: Int = 1, biasName: String? = nil, macs: Int, isRecurrence: Bool = false) {
        self.name = name
        self.op = op
        self.nodeName = nodeName
        self.shape = shape
        self.channelAxis = channelAxis
        self.reductionAxis = reductionAxis
        self.groups = groups
        self.biasName = biasName
        self.macs = macs
        self.isRecurrence = isRecurrence
    }

    public var params: Int { shape.reduce(1, *) }
    public var channels: Int { shape[channelAxis] }
}
