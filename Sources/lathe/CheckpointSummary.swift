import Foundation
import LatheCore

/// `lathe inspect` of a weights-only checkpoint (safetensors, sharded safetensors, GGUF): every
/// layer (a float tensor of rank ≥ 2) with the same entry as an ONNX layer — shape, params,
/// statistics, histogram; `op` and `macs` are null, there being no graph — then every tensor
/// with its stored type (statistics for the other float tensors; integers and types Lathe does
/// not decode listed by name).
struct CheckpointSummary {
    var checkpoint: WeightCheckpoint
    var profiles: [TensorProfile?]

    init(checkpoint: WeightCheckpoint, bins: Int) {
        self.checkpoint = checkpoint
        profiles = CheckpointScan.profiles(checkpoint.tensors, bins: bins)
    }

    /// Elements of every float tensor Lathe reads (layers, norms, biases, embeddings).
    var totalParams: Int {
        zip(checkpoint.tensors, profiles).reduce(0) { $0 + ($1.1 == nil ? 0 : $1.0.count) }
    }

    static func role(_ tensor: CheckpointTensor) -> String {
        if tensor.isLayer { return "layer" }
        switch tensor.encoding {
        case .float, .blocks: return "float"
        case .integer: return "integer"
        case .unsupported: return "not decoded"
        }
    }

    static func statsJSON(_ s: WeightStats) -> JSONValue {
        .object([
            ("min", .double(s.min)), ("max", .double(s.max)), ("mean", .double(s.mean)), ("std", .double(s.std)),
            ("sparsity", .double(s.sparsity)), ("outlier_ratio", .double(s.outlierRatio)),
        ])
    }

    static func histogramJSON(_ h: Histogram) -> JSONValue {
        .object([("edges", .array(h.edges.map { .double($0) })), ("counts", .array(h.counts.map { .int($0) }))])
    }

    func json(model: String) -> JSONValue {
        var layers: [JSONValue] = []
        var tensors: [JSONValue] = []
        for (tensor, profile) in zip(checkpoint.tensors, profiles) {
            if tensor.isLayer, let profile {
                layers.append(.object([
                    ("name", .string(tensor.name)), ("op", .null), ("dtype", .string(tensor.encoding.typeName)),
                    ("shape", .array(tensor.shape.map { .int($0) })), ("params", .int(tensor.count)), ("macs", .null),
                    ("bytes", .int(tensor.bytes)),
                    ("stats", Self.statsJSON(profile.stats)), ("histogram", Self.histogramJSON(profile.histogram)),
                ]))
            }
            var entry: [(String, JSONValue)] = [
                ("name", .string(tensor.name)), ("dtype", .string(tensor.encoding.typeName)),
                ("shape", .array(tensor.shape.map { .int($0) })), ("bytes", .int(tensor.bytes)),
                ("role", .string(Self.role(tensor))),
            ]
            if !tensor.isLayer, let profile {
                entry.append(("stats", Self.statsJSON(profile.stats)))
                entry.append(("histogram", Self.histogramJSON(profile.histogram)))
            }
            tensors.append(.object(entry))
        }
        var members: [(String, JSONValue)] = [
            ("model", .string(model)),
            ("format", .string(checkpoint.format.rawValue)),
            ("layers", .array(layers)),
            ("tensors", .array(tensors)),
            ("total_params", .int(totalParams)),
            ("total_macs", .null),
            ("size_bytes", .int(checkpoint.storedBytes)),
        ]
        if !checkpoint.metadata.isEmpty {
            members.append(("metadata", .object(checkpoint.metadata.map { ($0.key, .string($0.value.description)) })))
        }
        return .object(members)
    }

    func text(model: String) -> String {
        var rows: [[String]] = [["layer", "dtype", "shape", "params", "min", "max", "std", "zeros", "outliers", "histogram"]]
        var others: [[String]] = [["tensor", "dtype", "shape", "bytes", "kind"]]
        for (tensor, profile) in zip(checkpoint.tensors, profiles) {
            if tensor.isLayer, let profile {
                let s = profile.stats
                rows.append([tensor.name, tensor.encoding.typeName, TextFormatting.shape(tensor.shape),
                             TextFormatting.grouped(tensor.count), TextFormatting.decimal(s.min),
                             TextFormatting.decimal(s.max), TextFormatting.decimal(s.std),
                             TextFormatting.percent(s.sparsity), TextFormatting.percent(s.outlierRatio),
                             TextFormatting.sparkline(profile.histogram.counts)])
            } else {
                let kind: String
                if let profile {
                    kind = "float, mean \(TextFormatting.decimal(profile.stats.mean)) std \(TextFormatting.decimal(profile.stats.std))"
                } else {
                    kind = Self.role(tensor) == "integer" ? "integer (not compressed)" : "not decoded (listed only)"
                }
                others.append([tensor.name, tensor.encoding.typeName, TextFormatting.shape(tensor.shape),
                               TextFormatting.grouped(tensor.bytes), kind])
            }
        }
        var parts = ["\(model) (\(checkpoint.format.displayName), \(checkpoint.tensors.count) tensors)"]
        parts.append(rows.count > 1 ? TextFormatting.table(rows, rightAligned: [3, 4, 5, 6, 7, 8]) : "no layers (no float tensor of rank ≥ 2)")
        if others.count > 1 { parts.append(TextFormatting.table(others, rightAligned: [3])) }
        parts.append(TextFormatting.table([
            ["layers", String(rows.count - 1)],
            ["total params", TextFormatting.grouped(totalParams)],
            ["size", "\(TextFormatting.bytes(checkpoint.storedBytes)) (\(TextFormatting.grouped(checkpoint.storedBytes)) bytes)"],
        ]))
        return parts.joined(separator: "\n\n")
    }
}
