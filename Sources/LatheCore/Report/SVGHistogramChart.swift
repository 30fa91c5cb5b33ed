/// A histogram as a small inline SVG bar chart: all bars in one path (a few
/// hundred bytes per chart, so every layer of a large model can have two).
/// Bar heights follow the square root of the counts: quantized and pruned
/// weights pile into a few bins, and a linear scale would flatten the rest.
public enum SVGHistogramChart {
    public static let width = 200.0
    public static let height = 56.0

    /// `kind` ("before" / "after") becomes the chart's class and its tooltip's first word.
    public static func render(_ histogram: Histogram, kind: String, layer: String, colour: String) -> String {
        let w = width, h = height
        let bins = histogram.counts.count
        let peak = histogram.counts.max() ?? 0
        let barWidth = bins > 0 ? w / Double(bins) : w
        var path = ""
        if peak > 0 {
            for (i, count) in histogram.counts.enumerated() where count > 0 {
                // At least one pixel tall, so a lone weight in a bin still shows.
                let barHeight = Swift.max(1, (Double(count) / Double(peak)).squareRoot() * (h - 2))
                path += "M\(ReportFormat.coordinate(Double(i) * barWidth)) \(ReportFormat.coordinate(h))"
                    + "v-\(ReportFormat.coordinate(barHeight))h\(ReportFormat.coordinate(barWidth * 0.92))"
                    + "v\(ReportFormat.coordinate(barHeight))z"
            }
        }
        let lo = histogram.edges.first ?? 0, hi = histogram.edges.last ?? 0
        let title = "\(kind) \(layer): \(histogram.counts.reduce(0, +)) weights in \(bins) bins from "
            + "\(ReportFormat.exactShort(lo)) to \(ReportFormat.exactShort(hi)); tallest bin \(peak)"
        let zero = lo < 0 && hi > 0 ? (0 - lo) / (hi - lo) * w : nil
        var svg = "<svg class=\"hist \(kind)\" data-kind=\"\(kind)\" data-layer=\"\(HTMLEscaping.escape(layer))\" "
            + "data-bins=\"\(bins)\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" "
            + "role=\"img\">"
            + "<title>\(HTMLEscaping.escape(title))</title>"
            + "<rect class=\"frame\" x=\"0\" y=\"0\" width=\"\(Int(w))\" height=\"\(Int(h))\"/>"
        if let zero {
            svg += "<line class=\"zero\" x1=\"\(ReportFormat.coordinate(zero))\" y1=\"0\" "
                + "x2=\"\(ReportFormat.coordinate(zero))\" y2=\"\(Int(h))\"/>"
        }
        svg += "<path fill=\"\(colour)\" d=\"\(path)\"/></svg>"
        return svg
    }
}
