import Foundation

/// The plan as onnxruntime quantization settings: `{"TensorQuantOverrides": {...}, "nodes_to_exclude": [...]}`
/// for `onnxruntime.quantization.quantize_static(..., extra_options={"TensorQuantOverrides": ...},
/// nodes_to_exclude=...)`.
///
/// What maps: weight bits 4, 8 and 16 → `quant_type` QInt4/QInt8/QInt16 (symmetric) or QUInt4/QUInt8/
/// QUInt16 (asymmetric), `symmetric`, and per-channel `axis` (the layer's channel axis); a layer left at
/// float → its node in `nodes_to_exclude`. What does not (onnxruntime has no equivalent): other bit
/// widths, fp16/bf16, pruning, weight sharing, low rank, the mse/percentile ranges, and per-layer
/// activation bits; each is listed under `lathe_unmapped` by layer with the reason, and onnxruntime
/// quantizes such a layer with its defaults unless it is excluded by hand.
public enum ORTOverrides {
    public static func render(plan: CompressionPlan, layers: [WeightLayer]) -> String {
        var overrides: [(String, JSONValue)] = []
        var excluded: [JSONValue] = []
        var unmapped: [(String, JSONValue)] = []
        for layer in layers {
            let settings = plan.settings(for: layer.name)
            var reasons: [String] = []
            if settings.isPruned { reasons.append("pruning") }
            if settings.isShared { reasons.append("weight sharing") }
            if settings.isLowRank { reasons.append("low rank") }
            if settings.activationBits != nil { reasons.append("per-layer activation bits") }
            switch settings.bits {
            case .float32 where !settings.changesWeights:
                if layer.nodeName.isEmpty {
                    reasons.append("left at float, but its node has no name to exclude")
                } else {
                    excluded.append(.string(layer.nodeName))
                }
            case .float32:
                break
            case .fp16, .bf16:
                reasons.append("\(settings.bits.configValue) weights")
            case .integer(let bits):
                if settings.isShared { break }
                guard [4, 8, 16].contains(bits) else {
                    reasons.append("\(bits)-bit weights (onnxruntime quantizes to 4, 8 or 16 bits)")
                    break
                }
                if settings.range != .minmax { reasons.append("range \(settings.range.rawValue)") }
                let symmetric = settings.scheme == .symmetric
                let type = (symmetric ? "QInt" : "QUInt") + String(bits)
                var members: [(String, JSONValue)] = [("quant_type", .string(type)), ("symmetric", .bool(symmetric))]
                if settings.granularity == .perChannel { members.append(("axis", .int(layer.channelAxis))) }
                overrides.append((layer.name, .array([.object(members)])))
            }
            if !reasons.isEmpty { unmapped.append((layer.name, .string(reasons.joined(separator: ", ")))) }
        }
        return JSONValue.object([
            ("TensorQuantOverrides", .object(overrides)),
            ("nodes_to_exclude", .array(excluded)),
            ("lathe_unmapped", .object(unmapped)),
        ]).rendered(.file) + "\n"
    }
}

/// Writes a settings file (config JSON, onnxruntime overrides) atomically.
public enum InteropFiles {
    public static func write(_ text: String, to path: String) throws {
        try AtomicFile.write(Data(text.utf8), to: path)
    }
}
