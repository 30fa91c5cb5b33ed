import Foundation
import LatheCore

/// The last search's Pareto front as a chart: size on x (log scale), the metric on
/// y (better up), the front's points joined by a dim line, uniform int8/int4/fp16
/// as labelled marks, the current plan marked; the point under the cursor is
/// explained below the chart.
enum ParetoView {
    static func draw(_ state: AppState, front: ParetoData, point: Int, in frame: Rect, into buffer: inout Buffer,
                     glyphs: GlyphSet) {
        buffer.fill(frame, style: .fg)
        guard frame.height >= 8, frame.width >= 30, !front.points.isEmpty else { return }
        let metric = front.metric
        let selected = min(max(0, point), front.points.count - 1)
        buffer.titleRule(frame.row(0), title: "Pareto front: \(metric.label) vs size, \(front.points.count) measured points",
                         glyphs: glyphs, titleStyle: Style.accent.bolded(), right: nil)

        // The current plan, when the engine has measured it.
        let current: (size: Int, value: Double)? = state.currentEngine.flatMap { engine in
            engine.value.map { (engine.sizeBytes, $0) }
        }
        let all = front.points.map { ($0.sizeBytes, $0.value) } + front.references.map { ($0.sizeBytes, $0.value) }
            + (current.map { [$0] } ?? [])
        let finite = all.filter { $0.1.isFinite && $0.0 > 0 }
        guard let minSize = finite.map(\.0).min(), let maxSize = finite.map(\.0).max(),
              let minValue = finite.map(\.1).min(), let maxValue = finite.map(\.1).max() else { return }

        let yLabels = [maxValue, (maxValue + minValue) / 2, minValue].map { Format.metric($0, metric) }
        let labelWidth = (yLabels.map(DisplayWidth.of).max() ?? 6) + 1
        let plot = Rect(x: frame.x + labelWidth + 1, y: frame.y + 2, width: frame.width - labelWidth - 3,
                        height: frame.height - 6)
        guard plot.width >= 10, plot.height >= 3 else { return }
        let logMin = log10(Double(minSize)), logMax = log10(Double(maxSize))
        func column(_ size: Int) -> Int {
            guard logMax > logMin else { return plot.x + plot.width / 2 }
            let f = (log10(Double(max(1, size))) - logMin) / (logMax - logMin)
            return plot.x + Int((f * Double(plot.width - 1)).rounded())
        }
        func row(_ value: Double) -> Int {
            guard maxValue > minValue, value.isFinite else { return plot.y }
            var f = (value - minValue) / (maxValue - minValue)
            if !metric.higherIsBetter { f = 1 - f }
            return plot.y + plot.height - 1 - Int((f * Double(plot.height - 1)).rounded())
        }
        // Axes and their labels (better is up whatever the metric's direction).
        let top = metric.higherIsBetter ? yLabels[0] : yLabels[2], bottom = metric.higherIsBetter ? yLabels[2] : yLabels[0]
        for y in plot.y..<(plot.y + plot.height) {
            buffer.write(glyphs.vertical, at: Point(x: plot.x - 1, y: y), style: .border, clip: frame)
        }
        buffer.write(DisplayWidth.pad(top, to: labelWidth, alignRight: true), at: Point(x: frame.x, y: plot.y),
                     style: .dim, clip: frame)
        buffer.write(DisplayWidth.pad(yLabels[1], to: labelWidth, alignRight: true),
                     at: Point(x: frame.x, y: plot.y + plot.height / 2), style: .dim, clip: frame)
        buffer.write(DisplayWidth.pad(bottom, to: labelWidth, alignRight: true),
                     at: Point(x: frame.x, y: plot.y + plot.height - 1), style: .dim, clip: frame)
        let axisY = plot.y + plot.height
        buffer.write(String(repeating: glyphs.horizontal, count: plot.width + 1), at: Point(x: plot.x - 1, y: axisY),
                     style: .border, clip: frame)
        let small = Format.bytes(minSize), large = Format.bytes(maxSize)
        buffer.write(small, at: Point(x: plot.x, y: axisY + 1), style: .dim, clip: frame)
        buffer.write(large, at: Point(x: plot.x + plot.width - DisplayWidth.of(large), y: axisY + 1), style: .dim,
                     clip: frame)
        let axisName = "size (log scale)"
        buffer.write(axisName, at: Point(x: plot.x + (plot.width - DisplayWidth.of(axisName)) / 2, y: axisY + 1),
                     style: .dim, clip: frame)

        // The front: a dim staircase between consecutive points, then the points over it.
        for (a, b) in zip(front.points, front.points.dropFirst()) {
            let y = row(a.value), x0 = column(a.sizeBytes), x1 = column(b.sizeBytes)
            if x1 > x0 + 1 {
                buffer.write(String(repeating: glyphs.horizontal, count: x1 - x0 - 1), at: Point(x: x0 + 1, y: y),
                             style: .dim, clip: plot)
            }
        }
        for reference in front.references {
            // A mark and its name just right of it (left of it at the right edge), so a front point on it stays visible.
            let name = reference.label.replacingOccurrences(of: "uniform ", with: "")
            let x = column(reference.sizeBytes), y = row(reference.value)
            buffer.write("x", at: Point(x: x, y: y), style: .warn, clip: plot)
            let width = DisplayWidth.of(name)
            let nameX = x + 1 + width <= plot.maxX ? x + 1 : x - width
            buffer.write(name, at: Point(x: nameX, y: y), style: .warn, clip: plot)
        }
        if let current {
            buffer.write("+", at: Point(x: column(current.size), y: row(current.value)), style: Style.accent.bolded(),
                         clip: plot)
        }
        for (index, p) in front.points.enumerated() {
            let isCurrent = p.plan == state.plan
            let style = index == selected ? Style.selection.bolded() : isCurrent ? Style.accent.bolded() : Style.good
            buffer.write(isCurrent ? "*" : glyphs.bullet, at: Point(x: column(p.sizeBytes), y: row(p.value)),
                         style: style, clip: plot)
        }

        // The point under the cursor, explained; then the keys.
        let chosen = front.points[selected]
        var line = StyledLine("point \(selected + 1)/\(front.points.count): ", .fg)
        line.add("\(Format.bytes(chosen.sizeBytes))", Style.fg.bolded())
        let ratio = Double(front.baselineBytes) / Double(max(1, chosen.sizeBytes))
        line.add(" (\(Format.ratio(ratio, unicode: glyphs.isUnicode))", .fg)
        if let int8 = front.references.first(where: { $0.label == "uniform int8" }) {
            line.add(String(format: ", %.2f of int8", Double(chosen.sizeBytes) / Double(max(1, int8.sizeBytes))), .fg)
        }
        line.add(") \(metric.label) ", .fg)
        line.add(Format.metric(chosen.value, metric), Style.fg.bolded())
        if front.chosen == selected { line.add("  search's answer", .good) }
        if chosen.plan == state.plan { line.add("  current plan", .accent) }
        line.add("  \(chosen.label)", .dim)
        line.draw(into: &buffer, row: frame.row(frame.height - 2).inset(left: 1), ellipsis: glyphs.ellipsis)
        StyledLine("Enter applies this point \(glyphs.bullet) \(glyphs.arrowLeft)/\(glyphs.arrowRight) smaller/larger "
                    + "\(glyphs.bullet) x uniform int8/int4/fp16 \(glyphs.bullet) + current \(glyphs.bullet) Esc closes", .dim)
            .draw(into: &buffer, row: frame.row(frame.height - 1).inset(left: 1), ellipsis: glyphs.ellipsis)
    }
}
