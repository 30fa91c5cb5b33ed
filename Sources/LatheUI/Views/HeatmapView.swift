/// Sensitivity heatmap: layers × levels, each cell the metric's change with only
/// that layer at that level, coloured on the theme's heat scale; the cell under
/// the cursor is explained below.
enum HeatmapView {
    /// `view` names the evaluation set shown ("worst of clean, shifted", "set shifted"); empty for one set.
    static func draw(_ state: AppState, data: SensitivityData, view: String = "", column: Int, layout: ExplorerLayout,
                     into buffer: inout Buffer, glyphs: GlyphSet) {
        let geometry = HeatmapGeometry(layout: layout, state: state, levels: data.levels.count)
        let frame = geometry.frame
        guard frame.height >= 3 else { return }
        let title = "Sensitivity (\(data.cellUnit))" + (view.isEmpty ? "" : ", \(view) (v switches)")
        buffer.titleRule(frame.row(0), title: title, glyphs: glyphs, titleStyle: Style.accent.bolded(), right: nil)
        // The colour scale at the right of the title, when it fits beside it.
        let scaleWidth = 5 + 4 + 6 + 1
        if frame.x + 1 + DisplayWidth.of(title) + 2 + scaleWidth + 1 <= frame.maxX {
            var x = frame.maxX - scaleWidth
            x = buffer.write(" low ", at: Point(x: x, y: frame.y), style: .dim, clip: frame)
            for step in 0..<4 {
                let level = Double(step) / 3
                x = buffer.write(glyphs.shade(level), at: Point(x: x, y: frame.y), style: .heat(level), clip: frame)
            }
            buffer.write(" high ", at: Point(x: x, y: frame.y), style: .dim, clip: frame)
        }
        // Column headings.
        let headingY = frame.y + 1
        buffer.write(DisplayWidth.pad("layer", to: geometry.nameWidth), at: Point(x: frame.x + 1, y: headingY),
                     style: Style.dim.bolded(), clip: frame)
        for (i, level) in data.levels.enumerated() {
            let rect = geometry.cellRect(row: geometry.firstRow, column: i)
            let style = i == column ? Style.accent.bolded() : Style.dim.bolded()
            buffer.write(DisplayWidth.pad(level.shortLabel, to: HeatmapGeometry.cellWidth - 1, alignRight: true),
                         at: Point(x: rect.x, y: headingY), style: style, clip: frame)
        }
        let order = state.rowOrder
        for line in 0..<geometry.rows.height {
            let row = geometry.firstRow + line
            guard row < order.count else { break }
            let layer = state.layers[order[row]]
            let y = geometry.rows.y + line
            let selected = order[row] == state.selected
            buffer.write(DisplayWidth.pad(layer.name, to: geometry.nameWidth, ellipsis: glyphs.ellipsis),
                         at: Point(x: frame.x + 1, y: y), style: selected ? Style.selection.bolded() : .fg, clip: frame)
            let cells = data.layers[layer.name]?.cells ?? [:]
            for (i, level) in data.levels.enumerated() {
                let rect = geometry.cellRect(row: row, column: i)
                let textRect = Rect(x: rect.x, y: rect.y, width: rect.width - 1, height: 1).intersection(frame)
                guard let cell = cells[level] else {
                    buffer.write(DisplayWidth.pad(glyphs.ellipsis, to: textRect.width, alignRight: true),
                                 at: textRect.origin, style: .dim, clip: textRect)
                    continue
                }
                let heat = data.heat(cell)
                var style = Style.heatBackground(heat)
                if selected && i == column { style = Style.selection.bolded() }
                let text = DisplayWidth.pad(data.cellText(cell), to: textRect.width, alignRight: true)
                buffer.write(text, at: textRect.origin, style: style, clip: textRect)
            }
        }
        // The cell under the cursor, explained.
        let explain = frame.row(frame.height - 2)
        let keys = frame.row(frame.height - 1)
        if let layer = state.selectedLayer, data.levels.indices.contains(column) {
            let level = data.levels[column]
            var line = StyledLine(layer.name, Style.fg.bolded())
            line.add(" at \(level.label): ", .fg)
            if let cell = data.layers[layer.name]?.cells[level], let samples = cell.partialSamples {
                // Stopped early: say on which samples the value is, and what is certain of the whole set.
                line.add("\(data.metric.label) \(Format.metric(cell.value, data.metric))", Style.fg.bolded())
                line.add(" on the first \(samples) samples; stopped once certain to lose", .fg)
                if let loss = data.stopLoss { line.add(" \(data.metric.describe(loss: loss))", .fg) }
                line.add(" or more", .fg)
            } else if let cell = data.layers[layer.name]?.cells[level] {
                line.add("\(data.metric.label) \(Format.metric(cell.value, data.metric))", Style.fg.bolded())
                if data.metric.loss != .decibels {
                    let unit = data.metric.loss == .points ? " pt" : ""
                    line.add(" (\(data.cellText(cell))\(unit) vs fp32", .fg)
                    if let baseline = data.baseline { line.add(" \(Format.metric(baseline, data.metric))", .fg) }
                    line.add(")", .fg)
                }
            } else {
                line.add("not measured yet", .dim)
            }
            if let score = data.layers[layer.name]?.score {
                line.add("  score \(String(format: "%.1f", score * 100))", .dim)
            }
            line.draw(into: &buffer, row: explain.inset(left: 1), ellipsis: glyphs.ellipsis)
        }
        StyledLine("Enter applies the level to this layer \(glyphs.bullet) \(glyphs.arrowLeft)/\(glyphs.arrowRight) level "
                   + "\(glyphs.bullet) \(glyphs.arrowUp)/\(glyphs.arrowDown) layer \(glyphs.bullet) Esc closes", .dim)
            .draw(into: &buffer, row: keys.inset(left: 1), ellipsis: glyphs.ellipsis)
    }
}
