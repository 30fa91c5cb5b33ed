/// Draws the whole explorer for a state into a buffer the size of the screen.
public enum ExplorerView {
    public static func render(_ state: AppState, into buffer: inout Buffer, glyphs: GlyphSet) {
        let layout = ExplorerLayout.compute(size: buffer.size, layerCount: state.layers.count)
        buffer.cursor = nil
        if layout.isTooSmall {
            TooSmallView.draw(state, into: &buffer, glyphs: glyphs)
            if !glyphs.isUnicode { AsciiFallback.apply(to: &buffer) }
            return
        }
        HeaderView.draw(state, in: layout.header, into: &buffer, glyphs: glyphs)
        if case .heatmap(let column) = state.overlay, let data = state.sensitivity {
            HeatmapView.draw(state, data: data.shown(set: state.heatmapSet), view: data.viewName(set: state.heatmapSet),
                             column: column, layout: layout, into: &buffer, glyphs: glyphs)
        } else if case .pareto(let point) = state.overlay, let front = state.paretoFront {
            ParetoView.draw(state, front: front, point: point, in: layout.body, into: &buffer, glyphs: glyphs)
        } else {
            LayerTableView.draw(state, layout: layout, into: &buffer, glyphs: glyphs)
            if let separator = layout.separator { buffer.verticalLine(separator, glyphs: glyphs) }
            DetailView.draw(state, in: layout.detail, into: &buffer, glyphs: glyphs)
        }
        StatusBarView.draw(state, in: layout.status, into: &buffer, glyphs: glyphs)
        if case .help(let scroll) = state.overlay {
            HelpView.draw(state.keymap, loadNotes: state.loadNotes, scroll: scroll, in: layout.body, into: &buffer,
                          glyphs: glyphs)
        }
        BottomLineView.draw(state, in: layout.hints, into: &buffer, glyphs: glyphs)
        if !glyphs.isUnicode { AsciiFallback.apply(to: &buffer) }
    }

    /// The screen as text (golden snapshot tests).
    public static func renderText(_ state: AppState, width: Int, height: Int, glyphs: GlyphSet = .unicode) -> String {
        var buffer = Buffer(width: width, height: height)
        render(state, into: &buffer, glyphs: glyphs)
        return buffer.renderText()
    }
}

enum TooSmallView {
    static func draw(_ state: AppState, into buffer: inout Buffer, glyphs: GlyphSet) {
        let screen = buffer.bounds
        let need = ExplorerLayout.minimumSize
        let lines = [
            ("Terminal too small", Style.warn.bolded()),
            ("\(screen.width)×\(screen.height), needs \(need.width)×\(need.height)", Style.fg),
            (state.prompt?.kind == .confirmQuit ? "Quit without exporting? y/n" : "enlarge it, or q quits", Style.dim),
        ]
        let top = max(0, (screen.height - lines.count) / 2)
        for (i, line) in lines.enumerated() where top + i < screen.height {
            let text = DisplayWidth.truncate(line.0, to: screen.width, ellipsis: glyphs.ellipsis)
            let x = max(0, (screen.width - DisplayWidth.of(text)) / 2)
            buffer.write(text, at: Point(x: x, y: top + i), style: line.1)
        }
    }
}
