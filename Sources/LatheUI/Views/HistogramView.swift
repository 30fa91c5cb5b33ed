import Foundation
import LatheCore

/// A weight histogram in block glyphs (▁▂▃▄▅▆▇█, or ASCII), with an axis row below
/// that marks the quantization grid (┴), the pruning threshold (↑) and the k-means
/// centroids (•). All marked values come from `LayerAnalysis` (LatheCore); this only
/// places them.
enum HistogramView {
    /// Bins drawn per column: the counts of the histogram's bins that fall in each column,
    /// averaged (so columns stay comparable whatever the width).
    static func columnCounts(_ histogram: Histogram, columns: Int) -> [Double] {
        let bins = histogram.counts.count
        guard columns > 0, bins > 0 else { return [] }
        return (0..<columns).map { c in
            let lo = c * bins / columns
            let hi = max(lo + 1, (c + 1) * bins / columns)
            let range = lo..<min(hi, bins)
            return Double(range.reduce(0) { $0 + histogram.counts[$1] }) / Double(range.count)
        }
    }

    /// The column a value falls in (clamped), for a histogram drawn `columns` wide.
    static func column(of value: Double, histogram: Histogram, columns: Int) -> Int {
        guard let lo = histogram.edges.first, let hi = histogram.edges.last, hi > lo, columns > 0 else { return 0 }
        let c = Int(((value - lo) / (hi - lo) * Double(columns)).rounded(.down))
        return min(max(0, c), columns - 1)
    }

    /// Draws the bars into `area` and the axis with marks into `axis` (same columns).
    static func draw(_ histogram: Histogram, analysis: LayerAnalysis?, logScale: Bool, area: Rect, axis: Rect,
                     into buffer: inout Buffer, glyphs: GlyphSet) {
        let counts = columnCounts(histogram, columns: area.width)
        let scaled = counts.map { logScale ? log1p($0) : $0 }
        let top = scaled.max() ?? 0
        let threshold = analysis?.pruneThreshold
        for (c, value) in scaled.enumerated() where value > 0 && top > 0 {
            var height = value / top * Double(area.height)
            // A non-empty bin always shows at least the lowest block.
            height = max(height, 1.0 / Double(glyphs.verticalLevels.count))
            var style = Style.accent
            if let threshold, let lo = histogram.edges.first, let hi = histogram.edges.last, hi > lo {
                let centre = lo + (Double(c) + 0.5) / Double(area.width) * (hi - lo)
                if abs(centre) <= threshold { style = .bad }
            }
            for r in 0..<area.height {
                let fill = height - Double(r)
                guard fill > 0 else { break }
                buffer.write(glyphs.verticalLevel(min(1, fill)), at: Point(x: area.x + c, y: area.maxY - 1 - r),
                             style: style, clip: area)
            }
        }
        guard !axis.isEmpty else { return }
        buffer.horizontalLine(axis, glyphs: glyphs, style: .dim)
        guard let analysis else { return }
        if analysis.grid.count <= axis.width / 2 {
            for value in analysis.grid {
                let c = column(of: value, histogram: histogram, columns: axis.width)
                buffer.write(glyphs.teeUp, at: Point(x: axis.x + c, y: axis.y), style: .fg, clip: axis)
            }
        }
        if let threshold {
            for value in [-threshold, threshold] {
                let c = column(of: value, histogram: histogram, columns: axis.width)
                buffer.write(glyphs.arrowUp, at: Point(x: axis.x + c, y: axis.y), style: .bad, clip: axis)
            }
        }
        for value in analysis.centroids {
            let c = column(of: value, histogram: histogram, columns: axis.width)
            buffer.write(glyphs.bullet, at: Point(x: axis.x + c, y: axis.y), style: .warn, clip: axis)
        }
    }

    /// What the marks mean, for the line under the axis.
    static func legend(_ analysis: LayerAnalysis?, settings: LayerSettings, axisWidth: Int, glyphs: GlyphSet,
                       pending: Bool) -> StyledLine {
        var line = StyledLine()
        guard let analysis, analysis.settings == settings else {
            line.add(settings.changesWeights && pending ? "computing marks\(glyphs.ellipsis)" : "float32: no grid",
                     .dim)
            return line
        }
        var parts: [(String, Style)] = []
        if analysis.gridLevels > 0 {
            let step = analysis.gridStep.map { ", step " + Format.number($0) } ?? ""
            let what = settings.granularity == .perChannel ? "widest channel's grid" : "grid"
            let marked = !analysis.grid.isEmpty && analysis.grid.count <= axisWidth / 2
            parts.append(((marked ? "\(glyphs.teeUp) " : "") + "\(what): \(analysis.gridLevels) levels\(step)", .fg))
        }
        if let threshold = analysis.pruneThreshold {
            // Spelled here: AsciiFallback keeps each cell's width, so it could only write ≤ as "<".
            parts.append(("\(glyphs.arrowUp) pruned |w| \(glyphs.isUnicode ? "≤" : "<=") \(Format.number(threshold))",
                          .bad))
        }
        if !analysis.centroids.isEmpty {
            parts.append(("\(glyphs.bullet) \(analysis.centroids.count) centroids", .warn))
        }
        if settings.structure == .channel, settings.prune > 0 {
            parts.append(("whole channels pruned", .bad))
        } else if settings.structure == .twoFour {
            parts.append(("2 of every 4 pruned", .bad))
        }
        if parts.isEmpty {
            let text: String
            switch settings.bits {
            case .fp16, .bf16: text = "\(settings.bits.configValue): half precision, no integer grid"
            default: text = settings.isIdentity ? "float32: no grid" : "no marks"
            }
            parts.append((text, .dim))
        }
        for (i, part) in parts.enumerated() {
            if i > 0 { line.add("  ", .fg) }
            line.add(part.0, part.1)
        }
        return line
    }
}
