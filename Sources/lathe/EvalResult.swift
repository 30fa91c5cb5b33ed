import Foundation
import LatheCore

/// The numbers `lathe eval` reports for one or several evaluation sets, in JSON and as text.
struct EvalResult {
    /// One set's evaluation.
    struct Set {
        var name: String
        var data: String
        var output: String
        var report: PlanEvaluation

        /// How much worse than the uncompressed model on the same set (`ScoreMetric.degradation`).
        var degradation: Double {
            let metric = report.scoring.metric
            guard let value = report.totals.value(of: metric) else { return 0 }
            return metric.degradation(baseline: report.totals.baselineValue(of: metric) ?? value, value: value)
        }
    }

    var model: String
    /// The applied configuration file (nil: the model as loaded).
    var config: String?
    /// In the order given; the first one's numbers are the top-level ones.
    var sets: [Set]

    /// The set with the largest degradation (the first of equals); nil for a single set.
    var worst: Set? {
        guard sets.count > 1 else { return nil }
        return sets.dropFirst().reduce(sets[0]) { $1.degradation > $0.degradation ? $1 : $0 }
    }

    /// The first set's keys; with several sets also `sets` (every key per set, by name) and `worst`.
    var json: JSONValue {
        guard let first = sets.first else { return .object([]) }
        var pairs = keys(first)
        if let worst {
            pairs.append(("sets", .object(sets.map { ($0.name, .object(keys($0))) })))
            pairs.append(("worst", .string(worst.name)))
        }
        return .object(pairs)
    }

    /// Keys in a fixed order; unavailable numbers (no labels, fewer than 5 classes, no class axis) are null.
    func keys(_ set: Set) -> [(String, JSONValue)] {
        let report = set.report
        let totals = report.totals
        let scoring = report.scoring
        let metric = scoring.metric
        let value = totals.value(of: metric)
        return [
            ("model", .string(model)),
            ("data", .string(set.data)),
            ("output", .string(set.output)),
            ("config", config.map { .string($0) } ?? .null),
            ("samples", .int(totals.samples)),
            ("classes", .int(Self.classes(report))),
            ("metric", .object([
                ("name", .string(metric.rawValue)),
                ("value", .number(value)),
                ("unit", .string(metric.unit)),
                ("higher_is_better", .bool(metric.higherIsBetter)),
                ("reason", .string(scoring.reason)),
            ])),
            ("top1", .number(scoring.labelsMatchPositions ? totals.value(of: .top1) : nil)),
            ("top5", .number(report.classification?.top5)),
            ("macro_f1", .number(report.classification?.macroF1)),
            ("agreement", .number(scoring.hasClasses ? totals.value(of: .agree) : nil)),
            ("sqnr_db", .number(totals.sqnrDB)),
            ("cosine", .number(totals.cosine)),
            ("mse", .number(scoring.labelsMatchOutput ? totals.value(of: .mse) : nil)),
            ("mae", .number(scoring.labelsMatchOutput ? totals.value(of: .mae) : nil)),
            ("size_bytes", .int(report.size.totalBytes)),
            ("baseline_size_bytes", .int(report.size.baselineBytes)),
            ("compression_ratio", .double(report.size.compressionRatio)),
            ("seconds", .double(report.seconds)),
        ]
    }

    /// Classes along the class axis (for an output of predicted classes: the highest + 1).
    private static func classes(_ report: PlanEvaluation) -> Int {
        report.scoring.predictionsGiven ? (report.classification?.classes ?? 0) : report.scoring.classes
    }

    var text: String {
        guard let first = sets.first else { return "" }
        var text = Self.table(first, model: model, config: config)
        if sets.count > 1 {
            let metric = first.report.scoring.metric
            var rows = [["set", "data", "samples", metric.label, "change vs fp32", ""]]
            for set in sets {
                let totals = set.report.totals
                rows.append([set.name, set.data, TextFormatting.grouped(totals.samples),
                             TextFormatting.metric(totals.value(of: metric), metric),
                             Self.change(set), set.name == worst?.name ? "worst" : ""])
            }
            text += "\n\n" + TextFormatting.table(rows, rightAligned: [2, 3, 4])
        }
        return text
    }

    /// The change of a set's metric against the uncompressed model on it: points, relative, or the SQNR itself.
    private static func change(_ set: Set) -> String {
        let metric = set.report.scoring.metric
        let totals = set.report.totals
        guard let value = totals.value(of: metric), let base = totals.baselineValue(of: metric) else { return "-" }
        switch metric.loss {
        case .points: return String(format: "%+.2f pt", (value - base) * 100)
        case .relative: return base > 0 ? String(format: "%+.1f%%", (value - base) / base * 100) : "-"
        case .decibels: return TextFormatting.metric(value, metric)
        }
    }

    /// One set's numbers as a two-column table.
    private static func table(_ set: Set, model: String, config: String?) -> String {
        let report = set.report
        let data = set.data, output = set.output
        let totals = report.totals
        let scoring = report.scoring
        let metric = scoring.metric
        var rows: [[String]] = [
            ["model", model],
            // A one-unit head, a map or a regression has no classes to count.
            ["data", "\(data) (\(TextFormatting.grouped(totals.samples)) samples"
                + (Self.classes(report) >= 2 ? ", \(Self.classes(report)) classes)" : ")")],
            ["output", output],
        ]
        if let config { rows.append(["config", config]) }
        rows.append(["metric", "\(metric.label) \(TextFormatting.metric(totals.value(of: metric), metric)) "
            + "(\(scoring.reason))"])
        if scoring.labelsMatchPositions {
            rows.append(["top-1", TextFormatting.percent(totals.value(of: .top1))])
            if let top5 = report.classification?.top5 { rows.append(["top-5", TextFormatting.percent(top5)]) }
            if let f1 = report.classification?.macroF1 { rows.append(["macro F1", String(format: "%.4f", f1)]) }
        } else if scoring.hasClasses {
            rows.append(["top-1", "- (no integer labels shaped like the output's positions)"])
        }
        if scoring.labelsMatchOutput {
            rows.append(["MSE", TextFormatting.metric(totals.value(of: .mse), .mse)])
            rows.append(["MAE", TextFormatting.metric(totals.value(of: .mae), .mae)])
        }
        if scoring.hasClasses { rows.append(["agreement", TextFormatting.percent(totals.value(of: .agree))]) }
        rows.append(["SQNR", TextFormatting.metric(totals.sqnrDB, .sqnr)])
        rows.append(["cosine", TextFormatting.metric(totals.cosine, .cosine)])
        let ratio = String(format: "%.2f", report.size.compressionRatio)
        rows.append(["size", "\(TextFormatting.bytes(report.size.totalBytes)) (baseline \(TextFormatting.bytes(report.size.baselineBytes)), ratio \(ratio)x)"])
        rows.append(["time", String(format: "%.2f s", report.seconds)])
        return TextFormatting.table(rows)
    }
}
