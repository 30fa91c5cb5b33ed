/// Consecutive changed cells of one row, starting at column `x`. Continuation cells
/// are included so a run can be applied verbatim; backends skip them when drawing.
public struct Run: Hashable, Sendable {
    public let x: Int
    public let y: Int
    public let cells: [Cell]
}

extension Buffer {
    /// The runs that turn `previous` into this buffer: everything when there is no
    /// previous frame or its size differs.
    public func diff(from previous: Buffer?) -> [Run] {
        guard let previous, previous.width == width, previous.height == height else {
            return (0..<height).compactMap { y in
                width > 0 ? Run(x: 0, y: y, cells: Array(cells[(y * width)..<((y + 1) * width)])) : nil
            }
        }
        var runs: [Run] = []
        for y in 0..<height {
            let row = y * width
            var x = 0
            while x < width {
                guard cells[row + x] != previous.cells[row + x] else { x += 1; continue }
                var start = x
                // A run never begins in the second half of a wide grapheme.
                if cells[row + start].width == 0, start > 0 { start -= 1 }
                var end = x + 1
                while end < width, cells[row + end] != previous.cells[row + end] { end += 1 }
                if cells[row + end - 1].width == 2, end < width { end += 1 }
                runs.append(Run(x: start, y: y, cells: Array(cells[(row + start)..<(row + end)])))
                x = end
            }
        }
        return runs
    }

    /// Applies runs (from `diff`) to this buffer: what a terminal does with them.
    public mutating func apply(_ runs: [Run]) {
        for run in runs {
            for (i, cell) in run.cells.enumerated() where cell.width != 0 { put(cell, x: run.x + i, y: run.y) }
        }
    }
}

extension Buffer {
    /// The text of the screen, one line per row — for golden snapshot tests. Trailing
    /// spaces are dropped unless `keepTrailingSpaces`.
    public func renderText(keepTrailingSpaces: Bool = false) -> String {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width where !cells[y * width + x].isContinuation { line += cells[y * width + x].grapheme }
            if !keepTrailingSpaces { while line.last == " " { line.removeLast() } }
            return line
        }.joined(separator: "\n")
    }

    /// One character per column describing the style (for asserting colours in tests);
    /// `code` maps a style to its letter, a continuation repeats its head's letter.
    public func renderStyles(_ code: (Style) -> Character = Buffer.defaultStyleCode) -> String {
        (0..<height).map { y in
            String((0..<width).map { x in code(cells[y * width + x].style) })
        }.joined(separator: "\n")
    }

    /// `.` plain, `d` dim, `a` accent, `g` good, `w` warn, `b` bad, `-` border,
    /// `S` selection, `H` header, `0`–`9` heat tenths, `?` anything else.
    public static func defaultStyleCode(_ style: Style) -> Character {
        switch (style.foreground, style.background) {
        case (_, .selectionBG): return "S"
        case (_, .headerBG): return "H"
        case (.heat(let l), _), (_, .heat(let l)): return Character(String(min(9, Int(l * 10))))
        case (.fg, .bg): return "."
        case (.dim, .bg): return "d"
        case (.accent, .bg): return "a"
        case (.good, .bg): return "g"
        case (.warn, .bg): return "w"
        case (.bad, .bg): return "b"
        case (.border, .bg): return "-"
        default: return "?"
        }
    }
}
