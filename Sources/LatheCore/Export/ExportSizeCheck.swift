import Foundation

/// Checks that the exported file stores each changed layer in exactly the bytes its encoding calls for,
/// and sets them beside the size model's prediction.
///
/// The size model (DESIGN.md "Size model") counts what an ideal deployment needs; an ONNX file differs
/// in documented ways, and only in these:
/// - integer codes sit in 8-bit containers for 5–8 bits (and 2–4 bits unless the opset allows int4),
///   in 4-bit containers (two per byte) for int4/uint4;
/// - pruned weights are stored (as zero codes), so there is no sparse index, and every channel keeps
///   its scale;
/// - asymmetric zero points take the container's width; symmetric layers store none;
/// - codebook indices are uint8, and a codebook holds the distinct values actually used (k centroids,
///   plus 0 when pruning leaves zeros);
/// - nf4 / pow2 levels are indices (uint4 two per byte when the opset allows, else uint8) into the
///   grid's float32 unit levels (all of them: 16 for nf4, 2^b − 1 for pow2) and one float32 scale per
///   channel (or one); the size model counts them as b-bit weights with an fp32 scale per channel
///   (uniform b-bit), so the unit levels and the index container are the difference;
/// - float16/bfloat16 take 2 bytes a weight; float fallbacks (off-grid values, 9–16 bits, low-rank
///   products whose factors could not be stored) take 4;
/// - low-rank factors are laid out as the weights above, each factor its own tensor (so a 4-bit
///   factor's odd element count rounds up on its own), with a scale per row of each factor as the size
///   model counts them.
/// The file's bytes for each layer must equal that layout exactly (tolerance 0); anything else is an
/// error. The rest of the file (unchanged tensors, graph, names, protobuf framing) is reported, not
/// checked.
public struct ExportSizeCheck: Sendable, Equatable {
    public struct Layer: Sendable, Equatable {
        public var name: String
        /// What the size model predicts for the layer.
        public var sizeModelBytes: Int
        /// What the export layout calls for.
        public var layoutBytes: Int
        /// What the written file holds.
        public var fileBytes: Int
    }

    public var layers: [Layer]
    public var fileBytes: Int
    /// Bytes of every initializer's data in the written file.
    public var initializerBytes: Int
    /// The size model's total for the plan.
    public var sizeModelBytes: Int

    public var mismatches: [String] {
        layers.filter { $0.layoutBytes != $0.fileBytes }.map {
            "layer \($0.name): the file stores \($0.fileBytes) bytes, its layout calls for \($0.layoutBytes)"
        }
    }

    /// Bytes the export layout calls for (see the type's comment).
    static func layoutBytes(_ encoding: WeightEncoding, layer: WeightLayer, settings: LayerSettings,
                            codebook: [Float]?) -> Int {
        let n = layer.params
        switch encoding {
        case .unchanged: return 0
        case .float: return 4 * n
        case .half: return 2 * n
        case .integer(_, let dtype):
            let scales = settings.granularity == .perChannel ? layer.channels : 1
            let zeroPoints = settings.scheme == .asymmetric ? dtype.packedBytes(count: scales) : 0
            return dtype.packedBytes(count: n) + 4 * scales + zeroPoints
        case .codebook:
            return n + 4 * (codebook?.count ?? 0)
        case .levels(let weight, let dtype):
            return dtype.packedBytes(count: n) + 4 * weight.unitLevels.count + 4 * weight.scales.count
        case .lowRank(let encoding):
            return encoding.layoutBytes(settings: settings)
        }
    }

    /// Data bytes of the named initializers in a written file.
    static func initializerBytes(of proto: Onnx_ModelProto) -> [String: Int] {
        var bytes: [String: Int] = [:]
        for tensor in proto.graph.initializer {
            bytes[tensor.name] = tensor.rawData.count + 4 * tensor.floatData.count + 4 * tensor.int32Data.count
                + 8 * tensor.int64Data.count + 8 * tensor.doubleData.count + 8 * tensor.uint64Data.count
        }
        return bytes
    }
}
