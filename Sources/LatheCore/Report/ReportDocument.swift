import Foundation

/// Builds the report's single self-contained HTML file: inline CSS and SVG only,
/// nothing loaded from anywhere, readable without JavaScript. Every number also
/// sits in a `data-` attribute in full precision, so tools can check it.
public enum ReportDocument {
    /// Byte-breakdown components in table order: key, column title, colour.
    static let components: [(key: String, title: String, colour: String)] = [
        ("payload", "weights", "#4c78a8"), ("scales", "scales", "#f58518"), ("zero-points", "zero-pts", "#e45756"),
        ("codebook", "codebook", "#72b7b2"), ("index", "index", "#b279a2"),
    ]

    public static func html(_ content: ReportContent) -> String {
        var body = ""
        if !content.notes.isEmpty {
            body += "<div class=\"notes\" id=\"notes\"><ul>"
                + content.notes.map { "<li>\(HTMLEscaping.escape($0))</li>" }.joined() + "</ul></div>"
        }
        body += summarySection(content.summary, plan: content.plan)
        body += planSection(content.plan, summary: content.summary)
        body += histogramSection(content.histograms, layerCount: content.summary.layerCount)
        body += heatmapSection(content.heatmap)
        body += tradeoffSection(content.tradeoff)
        body += reproduceSection(content.reproduce)
        let title = "Lathe report: \(content.summary.modelFile)"
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTMLEscaping.escape(title))</title>
            <style>
            \(ReportStyle.css)
            </style>
            </head>
            <body>
            <header class="top"><h1>\(HTMLEscaping.escape(title))</h1>
            <p>\(HTMLEscaping.escape(subtitle(content.summary)))</p></header>
            <main>
            \(body)
            <footer>Written by lathe report. Sizes follow Lathe's size model; metrics are measured by Lathe's engine.</footer>
            </main>
            </body>
            </html>

            """
    }

    static func subtitle(_ summary: ReportSummary) -> String {
        var parts = [summary.format, "\(summary.layerCount) layers", "\(ReportFormat.grouped(summary.params)) parameters"]
        if let config = summary.configFile { parts.append("config \(config)") } else { parts.append("no config (uncompressed)") }
        if !summary.dataFiles.isEmpty { parts.append("data " + summary.dataFiles.joined(separator: ", ")) }
        return parts.joined(separator: " · ")
    }

    static func heading(_ number: Int, _ text: String, id: String) -> String {
        "<section id=\"\(id)\"><h2><span class=\"n\">\(number)</span>\(HTMLEscaping.escape(text))</h2>"
    }

    // MARK: 1. summary

    static func summarySection(_ s: ReportSummary, plan: ReportPlan) -> String {
        var html = heading(1, "Model and data", id: "summary")
        html += "<div class=\"cards\">"
        html += card("original size", ReportFormat.bytes(s.originalBytes), "\(ReportFormat.grouped(s.originalBytes)) bytes")
        html += card("compressed size", ReportFormat.bytes(plan.totalBytes),
                     "\(ReportFormat.grouped(plan.totalBytes)) bytes", id: "card-size")
        html += card("compression ratio", ReportFormat.ratio(plan.ratio), s.configFile == nil ? "no config" : "baseline / compressed")
        if let metric = s.metric {
            html += card("\(metric.label) uncompressed", ReportFormat.metric(s.uncompressedValue, metric),
                         "\(s.samples.map(ReportFormat.grouped) ?? "-") samples")
            if let value = plan.value {
                let drop = s.uncompressedValue.map { metric.degradation(baseline: $0, value: value) }
                let tone = (drop ?? 0) > 0.01 ? "bad" : "good"
                html += card("\(metric.label) with the plan", ReportFormat.metric(value, metric),
                             "change \(ReportFormat.drop(drop, metric))", tone: tone)
            }
        }
        html += "</div><dl class=\"summary\">"
        var rows: [(String, String, String?)] = [
            ("model", s.modelFile, "model"), ("format", s.format, nil),
            ("layers", String(s.layerCount), "layers"), ("parameters", ReportFormat.grouped(s.params), "params"),
            ("original size", "\(ReportFormat.bytes(s.originalBytes)) (\(ReportFormat.grouped(s.originalBytes)) bytes)",
             "original-bytes"),
            ("config", s.configFile ?? "none: the uncompressed plan", nil),
            ("data", s.dataFiles.isEmpty ? "none (data-free report)" : s.dataFiles.joined(separator: ", "), nil),
        ]
        if let samples = s.samples { rows.append(("samples", ReportFormat.grouped(samples), "samples")) }
        if let metric = s.metric {
            rows.append(("metric", "\(metric.label)" + (s.metricReason.map { " (\($0))" } ?? ""), nil))
            rows.append(("uncompressed \(metric.label)", ReportFormat.metric(s.uncompressedValue, metric), nil))
        }
        if let pareto = s.paretoFile { rows.append(("Pareto front", pareto, nil)) }
        for (key, value, id) in rows {
            let data: String
            switch id {
            case "layers": data = " data-value=\"\(s.layerCount)\""
            case "params": data = " data-value=\"\(s.params)\""
            case "original-bytes": data = " data-value=\"\(s.originalBytes)\""
            case "samples": data = " data-value=\"\(s.samples ?? 0)\""
            default: data = ""
            }
            html += "<dt>\(HTMLEscaping.escape(key))</dt><dd\(id.map { " id=\"summary-\($0)\"" } ?? "")\(data)>"
                + "\(HTMLEscaping.escape(value))</dd>"
        }
        html += "</dl>"
        if let metric = s.metric, let base = s.uncompressedValue {
            html += "<p id=\"metric-uncompressed\" hidden data-metric=\"\(metric.rawValue)\" "
                + "data-value=\"\(ReportFormat.exact(base))\"></p>"
        }
        return html + "</section>"
    }

    static func card(_ key: String, _ value: String, _ small: String, tone: String? = nil, id: String? = nil) -> String {
        "<div class=\"card\(tone.map { " \($0)" } ?? "")\"\(id.map { " id=\"\($0)\"" } ?? "")>"
            + "<div class=\"k\">\(HTMLEscaping.escape(key))</div><div class=\"v\">\(HTMLEscaping.escape(value))</div>"
            + "<div class=\"s\">\(HTMLEscaping.escape(small))</div></div>"
    }

    // MARK: 2. the plan

    static func planSection(_ plan: ReportPlan, summary: ReportSummary) -> String {
        var html = heading(2, "The plan per layer", id: "plan")
        html += "<p class=\"lead\">" + HTMLEscaping.escape(summary.configFile.map {
            "Each layer's settings from \($0) and its deployed bytes by component (Lathe's size model, as "
                + "`lathe inspect --config` reports them)."
        } ?? "No configuration given: every layer as stored (the uncompressed plan), with its deployed bytes.") + "</p>"
        html += "<div class=\"scroll\"><table class=\"plan\" id=\"plan-table\"><thead><tr>"
            + "<th>layer</th><th>op</th><th>shape</th><th>settings</th><th class=\"num\">original</th>"
            + "<th class=\"num\">compressed</th>"
            + components.map { "<th class=\"num\">\($0.title)</th>" }.joined()
            + "<th class=\"num\">ratio</th><th>bytes</th></tr></thead><tbody>"
        for row in plan.rows {
            let s = row.size
            let values = [s.payload, s.scales, s.zeroPoints, s.codebook, s.index]
            html += "<tr class=\"layer\" data-layer=\"\(HTMLEscaping.escape(row.name))\" "
                + "data-original-bytes=\"\(row.originalBytes)\" data-compressed-bytes=\"\(s.total)\" "
                + zip(components, values).map { "data-\($0.key)=\"\($1)\"" }.joined(separator: " ") + ">"
                + "<td class=\"name\" title=\"\(HTMLEscaping.escape(row.name))\">\(HTMLEscaping.escape(row.name))</td>"
                + "<td>\(HTMLEscaping.escape(row.op ?? "–"))</td><td>\(ReportFormat.shape(row.shape))</td>"
                + "<td class=\"settings\(row.settings == "float" ? " float" : "")\">\(HTMLEscaping.escape(row.settings))</td>"
                + "<td class=\"num\">\(ReportFormat.grouped(row.originalBytes))</td>"
                + "<td class=\"num\">\(ReportFormat.grouped(s.total))</td>"
                + values.map { "<td class=\"num\">\($0 == 0 ? "·" : ReportFormat.grouped($0))</td>" }.joined()
                + "<td class=\"num\">\(s.total > 0 ? ReportFormat.ratio(Double(row.originalBytes) / Double(s.total)) : "–")</td>"
                + "<td>\(breakdownBar(values, original: row.originalBytes))</td></tr>"
        }
        html += "</tbody><tfoot>"
        html += "<tr class=\"other\" data-other-bytes=\"\(plan.otherBytes)\"><td>other tensors</td>"
            + "<td colspan=\"3\">biases and constants, kept as stored</td>"
            + "<td class=\"num\">\(ReportFormat.grouped(plan.otherBytes))</td>"
            + "<td class=\"num\">\(ReportFormat.grouped(plan.otherBytes))</td><td colspan=\"\(components.count + 2)\"></td></tr>"
        html += "<tr class=\"total\" data-total-bytes=\"\(plan.totalBytes)\" data-baseline-bytes=\"\(plan.baselineBytes)\">"
            + "<td>total</td><td colspan=\"3\">\(plan.rows.count) layers</td>"
            + "<td class=\"num\">\(ReportFormat.grouped(plan.baselineBytes))</td>"
            + "<td class=\"num\">\(ReportFormat.grouped(plan.totalBytes))</td>"
            + "<td colspan=\"\(components.count)\"></td>"
            + "<td class=\"num\">\(ReportFormat.ratio(plan.ratio))</td><td></td></tr>"
        html += "</tfoot></table></div>"
        html += "<div class=\"key\">" + components.map { "<span><i style=\"background:\($0.colour)\"></i>\($0.title)</span>" }
            .joined() + "<span><i style=\"background:#e6e8ec\"></i>original size</span></div>"
        if let metric = summary.metric {
            let drop = plan.value.flatMap { v in summary.uncompressedValue.map { metric.degradation(baseline: $0, value: v) } }
            html += "<p id=\"plan-metric\" data-metric=\"\(metric.rawValue)\" "
                + "data-value=\"\(plan.value.map(ReportFormat.exact) ?? "")\" "
                + "data-uncompressed=\"\(summary.uncompressedValue.map(ReportFormat.exact) ?? "")\" "
                + "data-drop=\"\(drop.map(ReportFormat.exact) ?? "")\">"
                + HTMLEscaping.escape("\(metric.label): \(ReportFormat.metric(summary.uncompressedValue, metric)) "
                    + "uncompressed, \(ReportFormat.metric(plan.value, metric)) with the plan "
                    + "(change \(ReportFormat.drop(drop, metric))) on the first data set.") + "</p>"
        } else {
            html += "<p>No data given: the plan's metric is not measured (pass --data).</p>"
        }
        return html + "</section>"
    }

    /// A 96-pixel bar: the original size in grey, the compressed components stacked over it.
    static func breakdownBar(_ values: [Int], original: Int) -> String {
        let total = values.reduce(0, +)
        let full = Double(Swift.max(original, total, 1))
        let width = 96.0
        var svg = "<svg class=\"bar\" width=\"96\" height=\"12\" viewBox=\"0 0 96 12\">"
            + "<rect x=\"0\" y=\"1\" width=\"\(ReportFormat.coordinate(Double(original) / full * width))\" "
            + "height=\"10\" fill=\"#e6e8ec\"/>"
        var x = 0.0
        for (component, value) in zip(components, values) where value > 0 {
            let w = Swift.max(0.5, Double(value) / full * width)
            svg += "<rect x=\"\(ReportFormat.coordinate(x))\" y=\"1\" width=\"\(ReportFormat.coordinate(w))\" "
                + "height=\"10\" fill=\"\(component.colour)\"/>"
            x += w
        }
        return svg + "</svg>"
    }

    // MARK: 3. histograms

    static func histogramSection(_ pairs: [ReportHistogramPair], layerCount: Int) -> String {
        var html = heading(3, "Weights before and after compression", id: "histograms")
        html += "<p class=\"lead\">Each layer's weight values before (blue) and after (red) compression, binned on the "
            + "same \(pairs.first?.before.bins ?? 0) edges so the two compare. Bar heights are the square root of the "
            + "count, scaled to each chart's tallest bin, so a spike (pruned zeros, a quantization level) does not "
            + "flatten the rest. The dashed line marks zero; an \"after\" chart in grey is a layer the plan leaves as it is. Hover a "
            + "chart for its numbers.</p>"
        if pairs.count < layerCount {
            html += "<p>Histograms of the first \(pairs.count) of \(layerCount) layers are shown (see the notes).</p>"
        }
        html += "<div class=\"hists\">"
        for pair in pairs {
            let lo = pair.before.edges.first ?? 0, hi = pair.before.edges.last ?? 0
            html += "<figure class=\"pair\" data-layer=\"\(HTMLEscaping.escape(pair.layer))\">"
                + "<figcaption title=\"\(HTMLEscaping.escape(pair.layer))\">\(HTMLEscaping.escape(pair.layer))"
                + "<span class=\"s\">\(pair.changed ? "" : "unchanged by the plan")</span></figcaption>"
                + "<div class=\"charts\"><div class=\"chart\"><span>before</span>"
                + SVGHistogramChart.render(pair.before, kind: "before", layer: pair.layer, colour: ReportColours.before)
                + rangeLine(lo, hi) + "</div><div class=\"chart\"><span>after</span>"
                + SVGHistogramChart.render(pair.after, kind: "after", layer: pair.layer,
                                          colour: pair.changed ? ReportColours.after : ReportColours.unchanged)
                + rangeLine(lo, hi) + "</div></div></figure>"
        }
        return html + "</div></section>"
    }

    static func rangeLine(_ lo: Double, _ hi: Double) -> String {
        "<div class=\"range\"><span>\(ReportFormat.exactShort(lo))</span><span>\(ReportFormat.exactShort(hi))</span></div>"
    }

    // MARK: 4. heatmap

    static func heatmapSection(_ heatmap: ReportHeatmap?) -> String {
        var html = heading(4, "Sensitivity per layer and bit-width", id: "sensitivity")
        guard let heatmap else {
            return html + "<p>No sensitivity was computed (no bit-widths asked for).</p></section>"
        }
        switch heatmap.measure {
        case .drop(let metric):
            html += "<p class=\"lead\">Each cell: the \(HTMLEscaping.escape(metric.label)) change when that layer alone "
                + "is quantized (symmetric, per-channel) to the column's bits and every other layer stays float"
                + (metric.loss == .points ? ", in percentage points" : "")
                + ". Hover a cell for its value in words.</p>"
        case .sqnrDB:
            html += "<p class=\"lead\">No data given, so each cell is the data-free SQNR in dB of the layer's weights "
                + "quantized (symmetric, per-channel) to the column's bits: 10·log10(Σw²/Σ(w−ŵ)²). Higher is more "
                + "accurate; about 6 dB per bit.</p>"
        }
        return html + "<div class=\"scroll\">" + SVGHeatmap.render(heatmap) + "</div></section>"
    }

    // MARK: 5. accuracy vs size

    static func tradeoffSection(_ tradeoff: ReportTradeoff) -> String {
        var html = heading(5, "Accuracy against size", id: "tradeoff")
        let chart = tradeoff.omitted == nil ? SVGScatterChart.render(tradeoff) : nil
        if let chart {
            html += "<p class=\"lead\">Uniform plans (blue), the configuration's plan (red diamond)"
                + (tradeoff.points.contains { $0.kind == .pareto } ? " and the search's Pareto front (orange)" : "")
                + ". Hover a point for its numbers.</p><div class=\"scroll\">" + chart + "</div>"
        } else {
            html += "<p id=\"tradeoff-omitted\">\(HTMLEscaping.escape(tradeoff.omitted ?? "No point has a measured metric, so there is nothing to plot."))</p>"
        }
        // The points as a table too: readable as text, and it holds the sizes when the chart is omitted.
        guard !tradeoff.points.isEmpty else { return html + "</section>" }
        html += "<div class=\"scroll\"><table class=\"plan narrow\" id=\"tradeoff-table\"><thead><tr><th>plan</th>"
            + "<th class=\"num\">size</th><th class=\"num\">bytes</th>"
            + (tradeoff.metric.map { "<th class=\"num\">\(HTMLEscaping.escape($0.label))</th>" } ?? "") + "</tr></thead><tbody>"
        for point in tradeoff.points where point.kind != .pareto {
            html += "<tr data-kind=\"\(point.kind.rawValue)\" data-size=\"\(point.sizeBytes)\" "
                + "data-value=\"\(point.value.map(ReportFormat.exact) ?? "")\"><td>\(HTMLEscaping.escape(point.label))</td>"
                + "<td class=\"num\">\(ReportFormat.bytes(point.sizeBytes))</td>"
                + "<td class=\"num\">\(ReportFormat.grouped(point.sizeBytes))</td>"
                + (tradeoff.metric.map { "<td class=\"num\">\(ReportFormat.metric(point.value, $0))</td>" } ?? "")
                + "</tr>"
        }
        let front = tradeoff.points.filter { $0.kind == .pareto }
        if !front.isEmpty {
            html += "<tr><td colspan=\"4\">Pareto front: \(front.count) points from "
                + "\(ReportFormat.bytes(front.map(\.sizeBytes).min() ?? 0)) to "
                + "\(ReportFormat.bytes(front.map(\.sizeBytes).max() ?? 0))</td></tr>"
        }
        return html + "</tbody></table></div></section>"
    }

    // MARK: 6. how to reproduce

    static func reproduceSection(_ commands: [ReportCommandLine]) -> String {
        var html = heading(6, "How to reproduce", id: "reproduce")
        html += "<div class=\"repro\">"
        for line in commands {
            html += "<p>\(HTMLEscaping.escape(line.purpose))</p><pre><code>\(HTMLEscaping.escape(line.command))</code></pre>"
        }
        return html + "</div></section>"
    }
}
