import Foundation

/// The sensitivity heatmap: one row per layer, one column per bit-width, each
/// cell coloured by how much quantizing that layer alone hurts, with its number
/// written in it and a tooltip (`<title>`) that says it in words.
public enum SVGHeatmap {
    static let cellWidth = 66.0
    static let cellHeight = 20.0
    static let headerHeight = 28.0
    static let legendHeight = 52.0
    /// The legend's title takes about this many pixels at 11 px.
    static let legendMinimumWidth = 330.0
    /// Layer names longer than this are shortened in the label (the tooltip has them whole).
    static let labelCharacters = 44

    public static func render(_ heatmap: ReportHeatmap) -> String {
        let longest = heatmap.layers.map { Swift.min($0.count, labelCharacters) }.max() ?? 8
        let labelWidth = Swift.max(120, Double(longest) * 6.6 + 16)
        // Room for the legend's words too when there are few columns.
        let legendWidth = Swift.max(legendMinimumWidth, Double(heatmap.bits.count) * cellWidth)
        let width = labelWidth + legendWidth + 8
        let gridHeight = headerHeight + Double(heatmap.layers.count) * cellHeight
        let height = gridHeight + legendHeight
        let scale = Self.scale(heatmap)
        var svg = "<svg id=\"heatmap\" class=\"heatmap\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" "
            + "data-rows=\"\(heatmap.layers.count)\" data-columns=\"\(heatmap.bits.count)\">"
            + "<title>\(HTMLEscaping.escape(caption(heatmap)))</title>"
        for (j, bits) in heatmap.bits.enumerated() {
            let x = labelWidth + (Double(j) + 0.5) * cellWidth
            svg += "<text class=\"column\" x=\"\(ReportFormat.coordinate(x))\" y=\"\(Int(headerHeight - 9))\" "
                + "text-anchor=\"middle\">\(bits == 32 ? "fp32" : "\(bits) bits")</text>"
        }
        for (i, layer) in heatmap.layers.enumerated() {
            let y = headerHeight + Double(i) * cellHeight
            let shown = layer.count > labelCharacters ? "…" + layer.suffix(labelCharacters - 1) : layer
            svg += "<text class=\"row\" x=\"\(ReportFormat.coordinate(labelWidth - 8))\" "
                + "y=\"\(ReportFormat.coordinate(y + cellHeight / 2 + 4))\" text-anchor=\"end\">"
                + "<title>\(HTMLEscaping.escape(layer))</title>\(HTMLEscaping.escape(String(shown)))</text>"
            let row = i < heatmap.cells.count ? heatmap.cells[i] : []
            for (j, bits) in heatmap.bits.enumerated() {
                let x = labelWidth + Double(j) * cellWidth
                let value = j < row.count ? row[j] : nil
                let t = value.map { scale.position($0) }
                let fill = t.map(ReportColours.ramp) ?? ReportColours.missing
                let partial = heatmap.partialSamples(layer: i, column: j)
                let text = value.map { (partial == nil ? "" : "~") + cellText($0, heatmap.measure) } ?? "–"
                var tip = "\(layer) at \(bits) bits: " + (value.map { tooltip($0, heatmap.measure) } ?? "not measured")
                if let partial, case .drop(let metric) = heatmap.measure, let loss = heatmap.stopLoss {
                    tip += " on the first \(partial) samples, where the pass stopped: on every sample, "
                        + ReportFormat.drop(loss, metric) + " or worse"
                }
                svg += "<g class=\"cell\" data-layer=\"\(HTMLEscaping.escape(layer))\" data-bits=\"\(bits)\" "
                    + "data-value=\"\(value.map(ReportFormat.exact) ?? "")\">"
                    + "<title>\(HTMLEscaping.escape(tip))</title>"
                    + "<rect x=\"\(ReportFormat.coordinate(x + 1))\" y=\"\(ReportFormat.coordinate(y + 1))\" "
                    + "width=\"\(Int(cellWidth - 2))\" height=\"\(Int(cellHeight - 2))\" fill=\"\(fill)\"/>"
                    + "<text x=\"\(ReportFormat.coordinate(x + cellWidth / 2))\" "
                    + "y=\"\(ReportFormat.coordinate(y + cellHeight / 2 + 4))\" text-anchor=\"middle\" "
                    + "fill=\"\(ReportColours.text(on: t ?? 0))\">\(HTMLEscaping.escape(text))</text></g>"
            }
        }
        svg += legend(scale: scale, measure: heatmap.measure, x: labelWidth, y: gridHeight + 14,
                      width: legendWidth)
        return svg + "</svg>"
    }

    /// How a cell's value maps onto the ramp.
    struct Scale {
        var low: Double
        var high: Double
        /// SQNR: more is better, so the ramp runs the other way.
        var reversed: Bool

        func position(_ value: Double) -> Double {
            if value.isNaN { return 1 }
            if value == .infinity { return reversed ? 0 : 1 }
            if value == -.infinity { return reversed ? 1 : 0 }
            let t = high > low ? (value - low) / (high - low) : 0
            return reversed ? 1 - t : t
        }
    }

    /// Drops from 0 to the largest measured one; SQNR from 0 dB (noise as loud as the weights) to 40 dB.
    static func scale(_ heatmap: ReportHeatmap) -> Scale {
        switch heatmap.measure {
        case .drop:
            let finite = heatmap.cells.joined().compactMap { $0 }.filter(\.isFinite)
            return Scale(low: 0, high: Swift.max(finite.max() ?? 0, 1e-9), reversed: false)
        case .sqnrDB:
            return Scale(low: 0, high: 40, reversed: true)
        }
    }

    static func caption(_ heatmap: ReportHeatmap) -> String {
        switch heatmap.measure {
        case .drop(let metric):
            return "\(metric.label) drop with each layer alone quantized (symmetric per-channel) at each bit-width"
        case .sqnrDB:
            return "data-free SQNR (dB) of each layer's weights quantized symmetric per-channel at each bit-width"
        }
    }

    static func cellText(_ value: Double, _ measure: ReportHeatmap.Measure) -> String {
        switch measure {
        case .drop(let metric): return ReportFormat.shortDrop(value, metric)
        case .sqnrDB: return ReportFormat.decibels(value)
        }
    }

    static func tooltip(_ value: Double, _ measure: ReportHeatmap.Measure) -> String {
        switch measure {
        case .drop(let metric): return "\(metric.label) change \(ReportFormat.drop(value, metric))"
        case .sqnrDB: return "SQNR \(ReportFormat.decibels(value)) dB"
        }
    }

    static func legend(scale: Scale, measure: ReportHeatmap.Measure, x: Double, y: Double, width: Double) -> String {
        let (lowText, highText, title): (String, String, String)
        switch measure {
        case .drop(let metric):
            lowText = "no change"
            highText = ReportFormat.drop(scale.high, metric)
            title = metric.loss == .points ? "\(metric.label) change in points (pale: harmless, red: hurts)"
                : "\(metric.label) degradation (pale: harmless, red: hurts)"
        case .sqnrDB:
            lowText = "≥ 40 dB"
            highText = "0 dB"
            title = "SQNR in dB (pale: accurate, red: noisy)"
        }
        return "<defs><linearGradient id=\"heat-ramp\">\(ReportColours.gradientStops)</linearGradient></defs>"
            + "<g class=\"legend\"><text x=\"\(ReportFormat.coordinate(x))\" y=\"\(ReportFormat.coordinate(y))\">"
            + "\(HTMLEscaping.escape(title))</text>"
            + "<rect x=\"\(ReportFormat.coordinate(x))\" y=\"\(ReportFormat.coordinate(y + 6))\" "
            + "width=\"\(ReportFormat.coordinate(width))\" height=\"10\" fill=\"url(#heat-ramp)\"/>"
            + "<text x=\"\(ReportFormat.coordinate(x))\" y=\"\(ReportFormat.coordinate(y + 30))\">"
            + "\(HTMLEscaping.escape(lowText))</text>"
            + "<text x=\"\(ReportFormat.coordinate(x + width))\" y=\"\(ReportFormat.coordinate(y + 30))\" "
            + "text-anchor=\"end\">\(HTMLEscaping.escape(highText))</text></g>"
    }
}
