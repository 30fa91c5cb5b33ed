/// Under a non-UTF-8 locale every cell must be ASCII (the terminal would show
/// mojibake otherwise): glyphs come from `GlyphSet.ascii`, and this pass spells
/// the remaining typographic characters of texts (arrows, dashes, ×, Δ) in ASCII.
enum AsciiFallback {
    static let replacements: [Character: String] = [
        "←": "<", "→": ">", "↑": "^", "↓": "v", "↔": "<>", "−": "-", "–": "-", "—": "-", "…": "...",
        "·": "*", "×": "x", "≤": "<=", "≥": ">=", "Δ": "d", "•": "*", "±": "+-", "▶": ">", "✓": "x",
    ]

    static func apply(to buffer: inout Buffer) {
        for y in 0..<buffer.height {
            var x = 0
            while x < buffer.width {
                let cell = buffer[x: x, y: y]
                if cell.isContinuation || cell.grapheme.allSatisfy(\.isASCII) { x += 1; continue }
                let first = cell.grapheme.first ?? "?"
                var text = replacements[first] ?? "?"
                // Keep the layout: a replacement takes exactly the cells the original took.
                let span = max(1, cell.width)
                text = String(text.prefix(span))
                text += String(repeating: " ", count: span - text.count)
                for (i, c) in text.enumerated() {
                    buffer.put(Cell(String(c), style: cell.style), x: x + i, y: y)
                }
                x += span
            }
        }
    }
}
