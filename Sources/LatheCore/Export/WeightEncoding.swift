/// How one layer's weight is stored in an exported model.
enum WeightEncoding: Sendable {
    /// As the input file stores it (only possible when the deployed weight equals the file's).
    case unchanged
    /// float32 values: the compressed weight (fake export, low-rank products, fallbacks) or the
    /// BatchNorm-folded weight of an unchanged layer.
    case float([Float])
    /// Integer codes in a container of `dtype` (int8/uint8/int4/uint4) read through DequantizeLinear.
    case integer(QuantizedWeight, dtype: DType)
    /// float16 or bfloat16 values widened by a Cast.
    case half([Float], dtype: DType)
    /// uint8 indices into the float32 codebook of `group` (`ExportEncoding.codebooks`), read through Gather.
    case codebook(group: String, indices: [UInt8])
    /// nf4 / pow2 levels: indices in a container of `dtype` (uint8, or uint4 when the opset allows) into
    /// the float32 unit levels through Cast and Gather, times the per-channel (or one) float32 scale by Mul.
    case levels(LevelWeight, dtype: DType)
    /// A low-rank layer's two factors per block, multiplied back by MatMul in the graph (`LowRankEncoding`).
    case lowRank(LowRankEncoding)

    /// Short description for notes and the summary.
    var summary: String {
        switch self {
        case .unchanged: return "unchanged"
        case .float: return "float32"
        case .integer(let q, let dtype):
            return "\(dtype) \(q.signed ? "symmetric" : "asymmetric") \(q.axis == nil ? "per-tensor" : "per-channel")"
        case .half(_, let dtype): return "\(dtype) + Cast"
        case .codebook: return "codebook + uint8 indices"
        case .levels(let weight, let dtype):
            return "\(weight.unitLevels.count) levels + \(dtype) indices × \(weight.axis == nil ? "per-tensor" : "per-channel") scale"
        case .lowRank(let encoding): return encoding.summary
        }
    }
}

/// Every layer's encoding, the codebooks of shared layers, and what could not be stored as asked (said
/// on stderr).
struct ExportEncoding: Sendable {
    var layers: [String: WeightEncoding] = [:]
    /// Codebook per share group (a layer sharing alone is its own group), sorted ascending.
    var codebooks: [String: [Float]] = [:]
    var notes: [String] = []
    /// Whether some weight is stored in int4/uint4 (the opset must be ≥ 21).
    var usesInt4: Bool {
        layers.values.contains { (encoding: WeightEncoding) -> Bool in
            switch encoding {
            case .integer(_, let dtype), .levels(_, let dtype): return dtype.bits == 4
            case .lowRank(let encoding):
                return encoding.a.contains {
                    if case .integer(_, let dtype) = $0 { return dtype.bits == 4 } else { return false }
                }
            default: return false
            }
        }
    }
}
