import Foundation
import LatheCore

/// What `lathe inspect MODEL --config CFG` reports: every layer with the
/// settings the configuration gives it and its size under them (by component),
/// plus the model totals, from `SizeModel.report` (no data needed).
struct ConfigSizeSummary {
    var config: String
    var plan: CompressionPlan
    var report: SizeReport
    var model: ModelSummary

    init(config: String, plan: CompressionPlan, session: InferenceSession, model: ModelSummary) {
        self.config = config
        self.plan = plan
        self.report = SizeModel.report(tensors: session.weights, layers: session.layers, plan: plan)
        self.model = model
    }

    /// The plain model summary's keys, each layer extended with `settings`, `size_bytes`,
    /// `size_breakdown` and its costs; the totals with the compressed and baseline sizes.
    func json(model path: String) -> JSONValue {
        let layers: [JSONValue] = model.layers.map { entry in
            let name = entry.layer.name
            guard let cost = report.layer(named: name) else { return .object([("name", .string(name))]) }
            var members = Self.members(of: model.layerJSON(entry))
            members += [
                ("settings", ConfigApplication.json(cost.settings)),
                ("size_bytes", .int(cost.size.total)),
                ("size_breakdown", .object([
                    ("payload", .int(cost.size.payload)),
                    ("scales", .int(cost.size.scales)),
                    ("zero_points", .int(cost.size.zeroPoints)),
                    ("codebook", .int(cost.size.codebook)),
                    ("index", .int(cost.size.index)),
                ] + (cost.size.bias > 0 ? [("added_bias", .int(cost.size.bias))] : []))),
                ("baseline_size_bytes", .int(cost.baselineBytes)),
                ("stored_weights", .int(cost.storedWeights)),
                ("weight_bits", .int(cost.weightBits)),
                ("activation_bits", .int(cost.activationBits)),
                ("bops", .int(cost.bops)),
            ]
            return .object(members)
        }
        return .object([
            ("model", .string(path)),
            ("config", .string(config)),
            ("layers", .array(layers)),
            ("total_params", .int(model.totalParams)),
            ("total_macs", .int(model.totalMACs)),
            ("total_bops", .int(report.totalBOPs)),
            ("other_bytes", .int(report.otherBytes)),
            ("size_bytes", .int(report.totalBytes)),
            ("baseline_size_bytes", .int(report.baselineBytes)),
            ("compression_ratio", .double(report.compressionRatio)),
        ])
    }

    func text(model path: String) -> String {
        var rows: [[String]] = [["layer", "op", "shape", "settings", "bytes", "payload", "scales", "zero-pts",
                                 "codebook", "index", "ratio"]]
        for entry in model.layers {
            guard let cost = report.layer(named: entry.layer.name) else { continue }
            let s = cost.size
            rows.append([
                entry.layer.name, entry.layer.op.rawValue, TextFormatting.shape(entry.layer.shape),
                ConfigApplication.text(cost.settings), TextFormatting.grouped(s.total),
                TextFormatting.grouped(s.payload), TextFormatting.grouped(s.scales),
                TextFormatting.grouped(s.zeroPoints), TextFormatting.grouped(s.codebook),
                TextFormatting.grouped(s.index),
                s.total > 0 ? String(format: "%.2fx", Double(cost.baselineBytes) / Double(s.total)) : "-",
            ])
        }
        let table = TextFormatting.table(rows, rightAligned: [4, 5, 6, 7, 8, 9, 10])
        let totals = TextFormatting.table([
            ["config", config],
            ["layers", String(model.layers.count)],
            ["total params", TextFormatting.grouped(model.totalParams)],
            ["total MACs", TextFormatting.grouped(model.totalMACs) + " per sample"],
            ["total BOPs", TextFormatting.grouped(report.totalBOPs) + " per sample"],
            ["other tensors", "\(TextFormatting.grouped(report.otherBytes)) bytes (biases and constants, unchanged)"],
            ["size", "\(TextFormatting.bytes(report.totalBytes)) (\(TextFormatting.grouped(report.totalBytes)) bytes)"],
            ["baseline", "\(TextFormatting.bytes(report.baselineBytes)) (\(TextFormatting.grouped(report.baselineBytes)) bytes)"],
            ["ratio", String(format: "%.2fx", report.compressionRatio)],
        ])
        return "\(path)\n\n\(table)\n\n\(totals)"
    }

    private static func members(of value: JSONValue) -> [(String, JSONValue)] {
        if case .object(let members) = value { return members }
        return []
    }
}
