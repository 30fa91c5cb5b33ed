/// The layer table: one row per weight layer with its shape, settings,
/// sensitivity and size under the current plan.
enum LayerTableView {
    enum Field: String, CaseIterable {
        case name, op, shape, params, settings, sensitivity, size
    }

    struct Column: Equatable {
        var field: Field
        var width: Int
        var alignRight: Bool
        /// The heading: the field's name.
        var title: String { field.rawValue }
    }

    static func draw(_ state: AppState, layout: ExplorerLayout, into buffer: inout Buffer, glyphs: GlyphSet) {
        let area = layout.table
        guard area.height >= 1 else { return }
        let focused = state.focus == .layers
        let body = layout.tableBody
        var title = "Layers (\(state.layers.count))"
        if state.layers.count > body.height, body.height > 0 {
            let last = min(state.layers.count, state.tableScroll + body.height)
            title = "Layers \(state.tableScroll + 1)–\(last) of \(state.layers.count)"
        }
        if !state.marks.isEmpty { title += " \(glyphs.bullet) \(state.marks.count) marked" }
        buffer.titleRule(area.row(0), title: title, glyphs: glyphs,
                         titleStyle: focused ? Style.accent.bolded() : .dim, right: "sort: \(state.sort.rawValue)")
        let columns = self.columns(width: area.width)
        // Headings
        if area.height >= 2 {
            var x = area.x + 2
            for (i, column) in columns.enumerated() {
                let text = DisplayWidth.pad(column.title, to: column.width, alignRight: column.alignRight,
                                            ellipsis: glyphs.ellipsis)
                buffer.write(text, at: Point(x: x, y: area.y + 1), style: Style.dim.bolded(), clip: area)
                x += column.width + (i < columns.count - 1 ? 1 : 0)
            }
        }
        let order = state.rowOrder
        let maxScore = state.sensitivity?.maxScore
        for line in 0..<body.height {
            let rowIndex = state.tableScroll + line
            guard rowIndex < order.count else { break }
            let index = order[rowIndex]
            let layer = state.layers[index]
            let rowRect = body.row(line)
            let isSelected = index == state.selected
            let base: Style = isSelected ? (focused ? Style.selection.bolded() : .selection) : .fg
            if isSelected { buffer.fill(rowRect, style: base) }
            let marked = state.marks.contains(layer.name)
            buffer.write(marked ? glyphs.bullet : " ", at: rowRect.origin, style: isSelected ? base : .accent, clip: rowRect)
            let cells = self.cells(for: layer, state: state, maxScore: maxScore, glyphs: glyphs, columns: columns)
            var x = rowRect.x + 2
            for (i, column) in columns.enumerated() {
                let (text, style) = cells[i]
                let padded = DisplayWidth.pad(text, to: column.width, alignRight: column.alignRight,
                                              ellipsis: glyphs.ellipsis)
                var cellStyle = isSelected ? base : style
                if isSelected, case .heat = style.foreground { cellStyle = base }
                buffer.write(padded, at: Point(x: x, y: rowRect.y), style: cellStyle, clip: rowRect)
                x += column.width + (i < columns.count - 1 ? 1 : 0)
            }
        }
    }

    /// Columns for a table `width` wide: name takes what the others leave; shape and
    /// params are dropped first on narrow screens.
    static func columns(width: Int) -> [Column] {
        var fixed: [Column] = [
            Column(field: .op, width: 6, alignRight: false),
            Column(field: .shape, width: 11, alignRight: false),
            Column(field: .params, width: 6, alignRight: true),
            Column(field: .settings, width: 15, alignRight: false),
            Column(field: .sensitivity, width: 11, alignRight: false),
            Column(field: .size, width: 8, alignRight: true),
        ]
        // Names are what tell layers apart: the shape (also in the detail pane) goes first.
        let minimumName = 26
        func nameWidth(_ cols: [Column]) -> Int { width - 2 - cols.reduce(0) { $0 + $1.width + 1 } }
        for drop: Field in [.shape, .params, .op] where nameWidth(fixed) < minimumName {
            fixed.removeAll { $0.field == drop }
        }
        let name = max(4, min(nameWidth(fixed), 40))
        // Extra room goes to the settings column.
        let spare = nameWidth(fixed) - name
        if spare > 0, let i = fixed.firstIndex(where: { $0.field == .settings }) { fixed[i].width += min(spare, 10) }
        return [Column(field: .name, width: name, alignRight: false)] + fixed
    }

    static func cells(for layer: LayerInfo, state: AppState, maxScore: Double?, glyphs: GlyphSet,
                      columns: [Column]) -> [(String, Style)] {
        let settings = state.settings(of: layer)
        return columns.map { column in
            switch column.field {
            case .name: return (layer.name, .fg)
            case .op: return (layer.op, .dim)
            case .shape: return (Format.shape(layer.shape, unicode: glyphs.isUnicode), .dim)
            case .params: return (Format.count(layer.params), .fg)
            case .settings:
                return (Format.settings(settings, stored: layer.stored), settings.isIdentity ? .dim : .accent)
            case .sensitivity:
                guard let score = state.sensitivity?.layers[layer.name]?.score else {
                    return (state.runningJob?.kind == .sweep ? glyphs.ellipsis : "-", .dim)
                }
                let level = maxScore.map { $0 > 0 ? min(1, max(0, score / $0)) : 0 } ?? 0
                let bar = glyphs.horizontalBar(level, width: 4)
                return (bar + " " + String(format: "%.1f", score * 100), .heat(level))
            case .size:
                let bytes = state.engine?.layerSizes[layer.name]?.total ?? layer.baselineBytes
                return (Format.bytes(bytes), bytes < layer.baselineBytes ? .good : .fg)
            }
        }
    }
}
