/// The ops whose weight tensor makes a "layer" (DESIGN.md, Models).
public enum LayerOp: String, Sendable, Codable, CaseIterable {
    case conv = "Conv"
    case convTranspose = "ConvTranspose"
    case gemm = "Gemm"
    case matMul = "MatMul"
}

/// A weight tensor consumed by Conv, ConvTranspose, Gemm or MatMul (rank ≥ 2),
/// named by its tensor name everywhere. Shapes are those of the deployed
/// (BatchNorm-folded) weight.
public struct WeightLayer: Sendable, Equatable {
    /// The weight tensor's name: the layer's identity in UI, config, CLI and exports.
    public var name: String
    public var op: LayerOp
    /// Name of the consuming node (may be empty in the file; see `Node.displayName`).
    public var nodeName: String
    public var shape: [Int]
    /// Output-channel axis: Conv 0, ConvTranspose 1, Gemm 0 if transB else 1, MatMul 1.
    public var channelAxis: Int
    /// Reduction (input) axis used by 2:4 sparsity: Conv 1, ConvTranspose 0,
    /// Gemm 1 if transB else 0, MatMul 0.
    public var reductionAxis: Int
    /// Conv/ConvTranspose `group` attribute (1 otherwise).
    public var groups: Int
    /// Name of the bias tensor the layer adds, if any (after BN folding).
    public var biasName: String?
    /// Multiply-accumulates per sample.
    public var macs: Int
    /// How the file stores the weight when it is an integer tensor behind DequantizeLinear.
    public var stored: StoredQuantization? = nil

    public init(name: String, op: LayerOp, nodeName: String, shape: [Int], channelAxis: Int, reductionAxis: Int,
                groups: Int = 1, biasName: String? = nil, macs: Int) {
        self.name = name
        self.op = op
        self.nodeName = nodeName
        self.shape = shape
        self.channelAxis = channelAxis
        self.reductionAxis = reductionAxis
        self.groups = groups
        self.biasName = biasName
        self.macs = macs
    }

    public var params: Int { shape.reduce(1, *) }
    public var channels: Int { shape[channelAxis] }
}
