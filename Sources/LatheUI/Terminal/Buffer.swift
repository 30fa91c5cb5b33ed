/// An in-memory screen: `width`×`height` cells that views draw into and backends
/// present. Writes keep the wide-character invariant: a double-width cell is always
/// followed by its continuation, and overwriting half of one blanks the other half.
public struct Buffer: Hashable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Where the backend shows the text cursor (prompts); hidden when nil.
    public var cursor: Point?

    public init(width: Int, height: Int, style: Style = .fg) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank(style), count: self.width * self.height)
    }

    public init(size: TerminalSize, style: Style = .fg) { self.init(width: size.width, height: size.height, style: style) }

    public var size: TerminalSize { TerminalSize(width: width, height: height) }
    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    /// The cell at (x, y); a blank cell outside the buffer.
    public subscript(x x: Int, y y: Int) -> Cell {
        guard x >= 0, x < width, y >= 0, y < height else { return .blank }
        return cells[y * width + x]
    }

    /// Writes `text` from `at`, one grapheme per cell (two for wide ones), clipped to
    /// `clip` (default: the whole buffer). Control characters appear as "?"; a wide
    /// grapheme that would straddle the clip edge is replaced by a blank. Returns the
    /// column after the last one the text reached (for chaining writes).
    @discardableResult
    public mutating func write(_ text: String, at: Point, style: Style = .fg, clip: Rect? = nil) -> Int {
        let area = (clip ?? bounds).intersection(bounds)
        var x = at.x
        guard at.y >= area.y, at.y < area.maxY, !area.isEmpty else { return x + DisplayWidth.of(text) }
        var lastHead: Int?
        for character in text {
            let w = DisplayWidth.of(character)
            if w == 0 {
                // A lone combining mark joins the previous grapheme written by this call.
                if let head = lastHead { cells[at.y * width + head].grapheme.append(character) }
                continue
            }
            if x >= area.maxX { x += w; lastHead = nil; continue }
            if x < area.x {
                if x + w > area.x { put(.blank(style), x: area.x, y: at.y) }
                x += w
                lastHead = nil
                continue
            }
            if x + w > area.maxX {
                put(.blank(style), x: x, y: at.y)
                x += w
                lastHead = nil
                continue
            }
            let grapheme = DisplayWidth.isControl(character) ? "?" : String(character)
            put(Cell(grapheme, width: w, style: style), x: x, y: at.y)
            lastHead = x
            x += w
        }
        return x
    }

    /// Fills `rect` (clipped) with `grapheme` (single-width) in `style`.
    public mutating func fill(_ rect: Rect, style: Style = .fg, with grapheme: Character = " ") {
        let area = rect.intersection(bounds)
        let g = DisplayWidth.of(grapheme) == 1 && !DisplayWidth.isControl(grapheme) ? String(grapheme) : " "
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX { put(Cell(g, style: style), x: x, y: y) }
        }
    }

    /// Changes the style of every cell in `rect` (clipped), keeping the text — e.g. to
    /// highlight a table row after drawing it.
    public mutating func restyle(_ rect: Rect, _ change: (inout Style) -> Void) {
        let area = rect.intersection(bounds)
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX { change(&cells[y * width + x].style) }
        }
    }

    /// Places one cell, repairing any wide grapheme it cuts in half.
    mutating func put(_ cell: Cell, x: Int, y: Int) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let row = y * width
        breakWide(at: x, row: row)
        if cell.width == 2 {
            if x + 1 < width {
                breakWide(at: x + 1, row: row)
                cells[row + x] = cell
                cells[row + x + 1] = .continuation(cell.style)
            } else {
                cells[row + x] = .blank(cell.style)
            }
        } else {
            cells[row + x] = cell
        }
    }

    /// Before column x is overwritten: if it is half of a wide grapheme, blank the other half.
    private mutating func breakWide(at x: Int, row: Int) {
        let old = cells[row + x]
        if old.width == 0, x > 0, cells[row + x - 1].width == 2 {
            cells[row + x - 1] = .blank(cells[row + x - 1].style)
        } else if old.width == 2, x + 1 < width, cells[row + x + 1].width == 0 {
            cells[row + x + 1] = .blank(cells[row + x + 1].style)
        }
        if old.width == 0 { cells[row + x] = .blank(old.style) }
    }
}
