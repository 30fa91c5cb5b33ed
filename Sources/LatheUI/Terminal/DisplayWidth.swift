/// Column widths with wcwidth semantics (glibc's table, see WidthTables.swift), and the
/// text helpers views need to align and truncate. A grapheme takes the width of its first
/// scalar; control characters are shown as "?" and so count one column.
public enum DisplayWidth {
    /// 0, 1 or 2 columns for a scalar; control characters count 1 (they render as "?").
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x7F { return 1 }
        if v < 0xA0 { return 1 }  // DEL and C1 controls: shown as "?"
        if contains(zeroWidthRanges, v) { return 0 }
        if contains(doubleWidthRanges, v) { return 2 }
        return 1
    }

    /// Columns a grapheme cluster covers.
    public static func of(_ character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        return of(first)
    }

    /// Columns a string covers when written into a `Buffer`.
    public static func of(_ text: String) -> Int {
        var total = 0
        for c in text { total += of(c) }
        return total
    }

    /// True for the characters a buffer replaces by "?" (C0/C1 controls, DEL).
    static func isControl(_ character: Character) -> Bool {
        guard let v = character.unicodeScalars.first?.value else { return false }
        return v < 0x20 || (v >= 0x7F && v < 0xA0)
    }

    /// `text` cut to at most `width` columns; when cut, it ends with `ellipsis`
    /// (which must fit: otherwise the text is cut plainly).
    public static func truncate(_ text: String, to width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        if of(text) <= width { return text }
        let ellipsisWidth = of(ellipsis)
        let budget = ellipsisWidth <= width ? width - ellipsisWidth : width
        var result = ""
        var used = 0
        for c in text {
            let w = of(c)
            if used + w > budget { break }
            result.append(c)
            used += w
        }
        return ellipsisWidth <= width ? result + ellipsis : result
    }

    /// `text` truncated and padded with spaces to exactly `width` columns.
    public static func pad(_ text: String, to width: Int, alignRight: Bool = false, ellipsis: String = "…") -> String {
        let cut = truncate(text, to: width, ellipsis: ellipsis)
        let fill = String(repeating: " ", count: max(0, width - of(cut)))
        return alignRight ? fill + cut : cut + fill
    }

    private static func contains(_ ranges: [(UInt32, UInt32)], _ v: UInt32) -> Bool {
        var lo = 0, hi = ranges.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if v < ranges[mid].0 { hi = mid - 1 } else if v > ranges[mid].1 { lo = mid + 1 } else { return true }
        }
        return false
    }
}
