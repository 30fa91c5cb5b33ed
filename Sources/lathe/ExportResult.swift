import Foundation
import LatheCore

/// What `lathe export` prints: per layer how it is stored, the sizes, and the verification.
struct ExportResult {
    let out: String
    let report: ExportReport

    var text: String {
        var lines = ["wrote \(out) (\(report.format.rawValue)): \(report.fileBytes) bytes, "
            + String(format: "%.3f", ratio) + "× the input's \(report.originalFileBytes)"]
        for layer in report.layers where layer.storage != "unchanged" {
            lines.append("  \(layer.name): \(layer.storage)")
        }
        if let size = report.size {
            lines.append("weights: \(size.initializerBytes) bytes in the file; size model \(size.sizeModelBytes) bytes; "
                + "every changed layer's bytes as its layout calls for (\(size.layers.count) checked)")
        }
        if !report.sets.isEmpty {
            for set in report.sets {
                let metric = set.check
                let which = report.sets.count > 1 ? "set \(set.name): " : ""
                lines.append("verified: \(which)\(metric.metric.rawValue) \(format(metric.exported)) on \(metric.samples) samples, "
                    + "configuration \(format(metric.planned)) (tolerance \(metric.tolerance))")
            }
        } else {
            lines.append("verified: read back by Lathe; metric not checked (no --data)")
        }
        lines.append(String(format: "build %.2f s, verify %.2f s", report.buildSeconds, report.verifySeconds))
        return lines.joined(separator: "\n")
    }

    var ratio: Double { report.originalFileBytes == 0 ? 0 : Double(report.fileBytes) / Double(report.originalFileBytes) }

    private func format(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "undefined" }

    var json: JSONValue {
        func number(_ value: Double?) -> JSONValue { value.flatMap { $0.isFinite ? .double($0) : nil } ?? .null }
        var members: [(String, JSONValue)] = [
            ("out", .string(out)), ("format", .string(report.format.rawValue)),
            ("file_bytes", .int(report.fileBytes)), ("original_file_bytes", .int(report.originalFileBytes)),
            ("file_ratio", .double(ratio)),
            ("layers", .object(report.layers.map { ($0.name, .string($0.storage)) })),
            ("notes", .array(report.notes.map { .string($0) })),
            ("opset_raised_to", report.opsetRaise.map { .int($0.to) } ?? .null),
            ("build_seconds", .double(report.buildSeconds)), ("verify_seconds", .double(report.verifySeconds)),
        ]
        if let size = report.size {
            members.append(("weight_bytes", .int(size.initializerBytes)))
            members.append(("size_model_bytes", .int(size.sizeModelBytes)))
        }
        func check(_ metric: ExportMetricCheck) -> [(String, JSONValue)] {
            [("name", .string(metric.metric.rawValue)), ("configuration", number(metric.planned)),
             ("export", number(metric.exported)), ("tolerance", .string(metric.tolerance)),
             ("samples", .int(metric.samples))]
        }
        if let metric = report.metric {
            // The first set's check, as a single --data reports it.
            members.append(("metric", .object(check(metric))))
        }
        if !report.sets.isEmpty {
            members.append(("sets", .array(report.sets.map { set in
                .object([("set", .string(set.name)), ("data", .string(set.data))] + check(set.check))
            })))
        }
        return .object(members)
    }
}
