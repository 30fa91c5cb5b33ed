extension Buffer {
    /// A horizontal rule across `rect`'s first row.
    public mutating func horizontalLine(_ rect: Rect, glyphs: GlyphSet, style: Style = .border) {
        guard !rect.isEmpty else { return }
        fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), style: style,
             with: Character(glyphs.horizontal))
    }

    /// A vertical rule down `rect`'s first column.
    public mutating func verticalLine(_ rect: Rect, glyphs: GlyphSet, style: Style = .border) {
        guard !rect.isEmpty else { return }
        fill(Rect(x: rect.x, y: rect.y, width: 1, height: rect.height), style: style,
             with: Character(glyphs.vertical))
    }

    /// A one-cell frame around `rect` with an optional title in its top edge. Returns the
    /// inside. Rectangles smaller than 2×2 are left alone (and their inside is empty).
    @discardableResult
    public mutating func drawBox(_ rect: Rect, glyphs: GlyphSet, style: Style = .border,
                                 title: String? = nil, titleStyle: Style? = nil) -> Rect {
        guard rect.width >= 2, rect.height >= 2 else { return Rect(x: rect.x, y: rect.y, width: 0, height: 0) }
        let right = rect.maxX - 1, bottom = rect.maxY - 1
        horizontalLine(Rect(x: rect.x + 1, y: rect.y, width: rect.width - 2, height: 1), glyphs: glyphs, style: style)
        horizontalLine(Rect(x: rect.x + 1, y: bottom, width: rect.width - 2, height: 1), glyphs: glyphs, style: style)
        verticalLine(Rect(x: rect.x, y: rect.y + 1, width: 1, height: rect.height - 2), glyphs: glyphs, style: style)
        verticalLine(Rect(x: right, y: rect.y + 1, width: 1, height: rect.height - 2), glyphs: glyphs, style: style)
        write(glyphs.topLeft, at: Point(x: rect.x, y: rect.y), style: style)
        write(glyphs.topRight, at: Point(x: right, y: rect.y), style: style)
        write(glyphs.bottomLeft, at: Point(x: rect.x, y: bottom), style: style)
        write(glyphs.bottomRight, at: Point(x: right, y: bottom), style: style)
        if let title, rect.width > 4 {
            let text = DisplayWidth.truncate(" \(title) ", to: rect.width - 2, ellipsis: glyphs.ellipsis)
            write(text, at: Point(x: rect.x + 1, y: rect.y), style: titleStyle ?? style,
                  clip: Rect(x: rect.x + 1, y: rect.y, width: rect.width - 2, height: 1))
        }
        return rect.inset(by: 1)
    }
}
