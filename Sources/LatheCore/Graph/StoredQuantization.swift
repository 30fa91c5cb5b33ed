/// How an already-quantized model file stores a layer's weight: an integer
/// tensor read through `DequantizeLinear(weight, scale, zero_point)`. The
/// layer itself holds the exact dequantized values (so the identity
/// configuration reproduces the model, and new settings re-compress from
/// them); this records what the file spends on them, which is the layer's
/// baseline size.
public struct StoredQuantization: Sendable, Equatable {
    public enum Granularity: Sendable, Equatable {
        case perTensor
        /// One scale per index of `axis` of the stored weight.
        case perChannel(axis: Int)
        /// One scale per `size` consecutive elements along `axis`.
        case blocked(axis: Int, size: Int)

        /// "per-tensor", "per-channel", "blocked-32".
        public var name: String {
            switch self {
            case .perTensor: return "per-tensor"
            case .perChannel: return "per-channel"
            case .blocked(_, let size): return "blocked-\(size)"
            }
        }
    }

    /// The stored integer type (int8, uint8, int4, uint4, int16, uint16).
    public var dtype: DType
    /// Symmetric when every zero point is 0 (signed types) or the midpoint 2^(b−1) (unsigned types).
    public var scheme: QuantizationScheme
    public var granularity: Granularity
    /// Bytes of the packed integer weights, the scales and the zero points, at their stored types.
    public var size: TensorSize

    public init(dtype: DType, scheme: QuantizationScheme, granularity: Granularity, size: TensorSize) {
        self.dtype = dtype
        self.scheme = scheme
        self.granularity = granularity
        self.size = size
    }

    /// Bits per stored weight.
    public var bits: Int { dtype.bits }

    /// "int8 symmetric per-channel".
    public var summary: String { "\(dtype.rawValue) \(scheme.rawValue) \(granularity.name)" }
}
