/// The help overlay: every binding of the key table by section, with the command
/// names a key file uses to rebind them.
enum HelpView {
    static func lines(_ keymap: Keymap, loadNotes: [String] = [], glyphs: GlyphSet, width: Int) -> [StyledLine] {
        let arrows = (glyphs.arrowUp, glyphs.arrowDown, glyphs.arrowLeft, glyphs.arrowRight)
        let keyWidth = 14
        let showNames = width >= 70
        var lines: [StyledLine] = []
        // What loading printed on stderr, hidden once the explorer took the terminal.
        if !loadNotes.isEmpty {
            lines.append(StyledLine("While loading", Style.accent.bolded()))
            for note in loadNotes {
                lines += wrapped(note, width: width - 2).map { StyledLine("  " + $0, note.hasPrefix("warning: ") ? .warn : .fg) }
            }
        }
        for section in KeySection.allCases {
            let entries = keymap.entries(in: section)
            guard !entries.isEmpty else { continue }
            if !lines.isEmpty { lines.append(StyledLine()) }
            lines.append(StyledLine(section.rawValue, Style.accent.bolded()))
            for entry in entries {
                let keys = entry.keys.isEmpty ? "(unbound)" : entry.keys.map { KeyNames.display($0, arrows: arrows) }
                    .joined(separator: " ")
                var line = StyledLine("  " + DisplayWidth.pad(keys, to: keyWidth), Style.fg.bolded())
                let nameText = showNames ? "  " + entry.command.rawValue : ""
                let helpRoom = max(10, width - 2 - keyWidth - 1 - DisplayWidth.of(nameText))
                line.add(" " + DisplayWidth.pad(entry.help, to: helpRoom, ellipsis: glyphs.ellipsis), .fg)
                if showNames { line.add(nameText, .dim) }
                lines.append(line)
            }
        }
        lines.append(StyledLine())
        lines.append(StyledLine("Prompts", Style.accent.bolded()))
        lines.append(StyledLine("  \(glyphs.arrowLeft)/\(glyphs.arrowRight) Home/End Ctrl-A/Ctrl-E move, Backspace, "
                                + "Ctrl-W deletes a word, Ctrl-U clears; Enter accepts, Esc cancels", .fg))
        lines.append(StyledLine())
        lines.append(StyledLine("Several evaluation sets (--data NAME=FILE, repeated)", Style.accent.bolded()))
        lines.append(StyledLine("  the status bar shows the metric per set, \(StatusBarView.worstMark(glyphs)) after the "
                                + "set that degrades most; a layer's sensitivity is its worst over the sets", .fg))
        lines.append(StyledLine())
        lines.append(StyledLine("Rebind keys in ~/.config/lathe/keys.yaml (or --keys FILE): `command: key` or "
                                + "`command: [key, key]`, using the names on the right.", .dim))
        return lines
    }

    /// `text` cut at spaces into lines at most `width` columns wide (a longer word is cut where it must be).
    static func wrapped(_ text: String, width: Int) -> [String] {
        let width = max(10, width)
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            let candidate = current.isEmpty ? word : current + " " + word
            if DisplayWidth.of(candidate) <= width || current.isEmpty {
                current = candidate
            } else {
                lines.append(current)
                current = word
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    static func draw(_ keymap: Keymap, loadNotes: [String] = [], scroll: Int, in area: Rect, into buffer: inout Buffer,
                     glyphs: GlyphSet) {
        let width = min(area.width, 110)
        let content = lines(keymap, loadNotes: loadNotes, glyphs: glyphs, width: width - 4)
        let height = min(area.height, content.count + 2)
        let frame = area.centered(width: width, height: height)
        buffer.fill(frame, style: .fg)
        let inner = buffer.drawBox(frame, glyphs: glyphs, style: .border, title: "Keys (Esc closes)",
                                   titleStyle: Style.accent.bolded()).inset(left: 1, right: 1)
        let maxScroll = max(0, content.count - inner.height)
        let first = min(scroll, maxScroll)
        for (i, line) in content.dropFirst(first).prefix(inner.height).enumerated() {
            line.draw(into: &buffer, row: inner.row(i), ellipsis: glyphs.ellipsis)
        }
        if first + inner.height < content.count {
            buffer.write(glyphs.arrowDown, at: Point(x: frame.maxX - 2, y: frame.maxY - 1), style: .dim, clip: frame)
        }
        if first > 0 {
            buffer.write(glyphs.arrowUp, at: Point(x: frame.maxX - 2, y: frame.y), style: .dim, clip: frame)
        }
    }
}
