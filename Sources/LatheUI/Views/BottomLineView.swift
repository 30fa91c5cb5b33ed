/// The last line: an open prompt, else the latest message, else key hints made
/// from the key table.
enum BottomLineView {
    static func draw(_ state: AppState, in row: Rect, into buffer: inout Buffer, glyphs: GlyphSet) {
        guard !row.isEmpty else { return }
        if let prompt = state.prompt {
            PromptView.draw(prompt, in: row, into: &buffer, glyphs: glyphs)
            return
        }
        if let message = state.message {
            let style: Style
            switch message.kind {
            case .info: style = .good
            case .warning: style = .warn
            case .error: style = Style.bad.bolded()
            }
            StyledLine(" " + message.text, style).draw(into: &buffer, row: row, ellipsis: glyphs.ellipsis)
            return
        }
        hints(state, width: row.width, glyphs: glyphs).draw(into: &buffer, row: row, ellipsis: glyphs.ellipsis)
    }

    /// Key hints that fit in `width`: groups are dropped from the middle so help and
    /// quit always show.
    static func hints(_ state: AppState, width: Int, glyphs: GlyphSet) -> StyledLine {
        let arrows = (glyphs.arrowUp, glyphs.arrowDown, glyphs.arrowLeft, glyphs.arrowRight)
        func keyText(_ commands: [Command]) -> String? {
            let keys = commands.compactMap { state.keymap.keys(for: $0).first }
            guard keys.count == commands.count else { return nil }
            let names = keys.map { KeyNames.display($0, arrows: arrows) }
            return names.allSatisfy({ DisplayWidth.of($0) == 1 }) ? names.joined() : names.joined(separator: "/")
        }
        var groups: [(keys: String, label: String, priority: Int)]
        switch state.overlay {
        case .help:
            groups = [("\(glyphs.arrowUp)\(glyphs.arrowDown)", "scroll", 1), ("Esc", "close", 1)]
        case .heatmap:
            groups = [("\(glyphs.arrowLeft)\(glyphs.arrowRight)", "level", 1),
                      ("\(glyphs.arrowUp)\(glyphs.arrowDown)", "layer", 1), ("Enter", "apply", 1),
                      (keyText([.undo]) ?? "u", "undo", 2), ("Esc", "close", 1)]
        case .pareto:
            groups = [("\(glyphs.arrowLeft)\(glyphs.arrowRight)", "point", 1), ("Enter", "apply", 1),
                      (keyText([.undo]) ?? "u", "undo", 2), ("Esc", "close", 1)]
        case nil:
            groups = Keymap.hintGroups.compactMap { group in
                keyText(group.commands).map { ($0, group.label, group.priority) }
            }
            if state.runningJob != nil, let esc = keyText([.cancel]) { groups.insert((esc, "cancel", 1), at: 0) }
        }
        func line(_ list: [(keys: String, label: String, priority: Int)]) -> StyledLine {
            var l = StyledLine(" ")
            for (i, group) in list.enumerated() {
                if i > 0 { l.add("  ") }
                l.add(group.keys, Style.accent.bolded())
                l.add(" " + group.label, .dim)
            }
            return l
        }
        while line(groups).width > width, let worst = groups.map(\.priority).max(), worst > 1,
              let index = groups.lastIndex(where: { $0.priority == worst }) {
            groups.remove(at: index)
        }
        return line(groups)
    }
}

/// A prompt: label, editable text with the cursor placed on it, and any error.
enum PromptView {
    static func draw(_ prompt: PromptState, in row: Rect, into buffer: inout Buffer, glyphs: GlyphSet) {
        buffer.fill(row, style: .fg)
        let label = " " + prompt.label
        var x = buffer.write(label, at: row.origin, style: Style.accent.bolded(), clip: row)
        guard prompt.takesText else { return }
        let errorText = prompt.error.map { "  \($0)" } ?? ""
        let room = max(1, row.maxX - x - min(DisplayWidth.of(errorText), max(0, row.width / 3)) - 1)
        // Scroll the text so the cursor stays in view.
        let characters = prompt.editor.characters
        let cursor = prompt.editor.cursor
        var start = 0
        while DisplayWidth.of(String(characters[start..<cursor])) >= room { start += 1 }
        var shown = ""
        var used = 0
        for c in characters[start...] {
            let w = DisplayWidth.of(c)
            if used + w > room { break }
            shown.append(c)
            used += w
        }
        let cursorX = x + DisplayWidth.of(String(characters[start..<cursor]))
        x = buffer.write(shown, at: Point(x: x, y: row.y), style: Style.fg.bolded(), clip: row)
        if !errorText.isEmpty {
            buffer.write(errorText, at: Point(x: max(x, cursorX + 1), y: row.y), style: .bad, clip: row)
        }
        buffer.cursor = Point(x: min(cursorX, row.maxX - 1), y: row.y)
    }
}
