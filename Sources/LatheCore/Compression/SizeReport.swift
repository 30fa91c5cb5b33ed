/// Bytes of one stored weight tensor, by component. Each component is rounded
/// up to whole bytes on its own (payload bits and index bits separately), so
/// the components always add up to `total`.
public struct TensorSize: Sendable, Equatable {
    /// The stored weights (or codebook indices).
    public var payload: Int
    /// fp32 scales, one per kept channel or one per tensor.
    public var scales: Int
    /// 8-bit zero-points of asymmetric quantization.
    public var zeroPoints: Int
    /// The fp32 codebook of weight sharing (on the first layer of a share group only).
    public var codebook: Int
    /// Sparse index: bitmask or 32-bit positions for unstructured, 2 bits per kept weight for 2:4.
    public var index: Int
    /// The fp32 bias bias correction adds to a layer that had none (`AddedBias`).
    public var bias: Int

    public init(payload: Int = 0, scales: Int = 0, zeroPoints: Int = 0, codebook: Int = 0, index: Int = 0,
                bias: Int = 0) {
        self.payload = payload
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.codebook = codebook
        self.index = index
        self.bias = bias
    }

    public var total: Int { payload + scales + zeroPoints + codebook + index + bias }
}

/// Size and cost of one layer under a plan.
public struct LayerCost: Sendable, Equatable {
    public var name: String
    public var settings: LayerSettings
    public var size: TensorSize
    /// The weight at its stored dtype.
    public var baselineBytes: Int
    /// Weights actually stored (after pruning; both factors for low-rank).
    public var storedWeights: Int
    /// Multiply-accumulates per sample (the layer's dense count).
    public var macs: Int
    /// Bits of a weight operand: the integer bits, 16 for fp16/bf16, 32 for float and for
    /// shared weights (a codebook lookup yields fp32 values).
    public var weightBits: Int
    /// Bits of an activation operand: `abits`, or 32.
    public var activationBits: Int
    /// Bit operations per sample: MACs × weight bits × activation bits.
    public var bops: Int { macs * weightBits * activationBits }
}

/// Deployed size of a whole model under a plan.
public struct SizeReport: Sendable, Equatable {
    /// Layers in the order given.
    public var layers: [LayerCost]
    /// Every tensor that is not a layer weight (biases, other initializers), at its stored dtype.
    public var otherBytes: Int
    public var baselineBytes: Int

    public var totalBytes: Int { layers.reduce(otherBytes) { $0 + $1.size.total } }
    /// baseline / compressed.
    public var compressionRatio: Double { totalBytes == 0 ? 1 : Double(baselineBytes) / Double(totalBytes) }
    public var totalMACs: Int { layers.reduce(0) { $0 + $1.macs } }
    public var totalBOPs: Int { layers.reduce(0) { $0 + $1.bops } }

    public func layer(named name: String) -> LayerCost? { layers.first { $0.name == name } }
}
