/// A line of differently styled pieces, drawn left to right and clipped: the unit
/// most views build before placing text.
struct StyledLine: Equatable {
    var pieces: [(text: String, style: Style)] = []

    init() {}
    init(_ text: String, _ style: Style = .fg) { pieces = [(text, style)] }

    static func == (a: StyledLine, b: StyledLine) -> Bool {
        a.pieces.map(\.text) == b.pieces.map(\.text) && a.pieces.map(\.style) == b.pieces.map(\.style)
    }

    mutating func add(_ text: String, _ style: Style = .fg) { pieces.append((text, style)) }

    var width: Int { pieces.reduce(0) { $0 + DisplayWidth.of($1.text) } }
    var text: String { pieces.map(\.text).joined() }

    /// Draws at `at`, clipped to `clip`; returns the column after the text.
    @discardableResult
    func draw(into buffer: inout Buffer, at: Point, clip: Rect) -> Int {
        var x = at.x
        for piece in pieces { x = buffer.write(piece.text, at: Point(x: x, y: at.y), style: piece.style, clip: clip) }
        return x
    }

    /// Draws in `row`, truncated with an ellipsis when too long.
    func draw(into buffer: inout Buffer, row: Rect, ellipsis: String) {
        guard !row.isEmpty else { return }
        if width <= row.width {
            draw(into: &buffer, at: row.origin, clip: row)
            return
        }
        let room = max(0, row.width - DisplayWidth.of(ellipsis))
        var x = row.x
        var used = 0
        for piece in pieces {
            let left = room - used
            if left <= 0 { break }
            let cut = DisplayWidth.of(piece.text) <= left ? piece.text : DisplayWidth.truncate(piece.text, to: left, ellipsis: "")
            x = buffer.write(cut, at: Point(x: x, y: row.y), style: piece.style, clip: row)
            used += DisplayWidth.of(cut)
        }
        let lastStyle = pieces.last?.style ?? .fg
        buffer.write(ellipsis, at: Point(x: x, y: row.y), style: lastStyle, clip: row)
    }
}

extension Buffer {
    /// A title rule across `row`: "─ Title ─────", the title in `titleStyle`.
    mutating func titleRule(_ row: Rect, title: String, glyphs: GlyphSet, titleStyle: Style, right: String? = nil) {
        guard !row.isEmpty else { return }
        horizontalLine(row, glyphs: glyphs)
        let text = DisplayWidth.truncate(" \(title) ", to: max(0, row.width - 2), ellipsis: glyphs.ellipsis)
        let end = write(text, at: Point(x: row.x + 1, y: row.y), style: titleStyle, clip: row)
        if let right, !right.isEmpty {
            let r = " \(right) "
            let w = DisplayWidth.of(r)
            if end + w + 1 < row.maxX { write(r, at: Point(x: row.maxX - w - 1, y: row.y), style: .dim, clip: row) }
        }
    }
}
