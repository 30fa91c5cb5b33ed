import CNcursesw

/// The characters views draw with: Unicode where the locale encodes UTF-8, plain ASCII
/// otherwise (a non-UTF-8 terminal would show mojibake for block and box glyphs).
public struct GlyphSet: Hashable, Sendable {
    public let isUnicode: Bool
    /// Vertical bar levels from lowest to full (histogram columns): 8 in Unicode, 5 in ASCII.
    public let verticalLevels: [String]
    /// Horizontal bar eighths from thinnest to full (progress and mini-bars).
    public let horizontalLevels: [String]
    /// Shades from light to dense (heat without colour).
    public let shades: [String]
    public let horizontal, vertical, topLeft, topRight, bottomLeft, bottomRight: String
    public let teeLeft, teeRight, teeDown, teeUp, cross: String
    public let spinner: [String]
    public let arrowUp, arrowDown, arrowLeft, arrowRight: String
    public let ellipsis: String
    public let bullet: String
    public let pointer: String
    public let check: String

    public static let unicode = GlyphSet(
        isUnicode: true,
        verticalLevels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
        horizontalLevels: ["▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"],
        shades: ["░", "▒", "▓", "█"],
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        teeLeft: "├", teeRight: "┤", teeDown: "┬", teeUp: "┴", cross: "┼",
        spinner: ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"],
        arrowUp: "↑", arrowDown: "↓", arrowLeft: "←", arrowRight: "→",
        ellipsis: "…", bullet: "•", pointer: "▶", check: "✓")

    public static let ascii = GlyphSet(
        isUnicode: false,
        verticalLevels: ["_", ".", "-", "=", "#"],
        horizontalLevels: ["#"],
        shades: [".", ":", "+", "#"],
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        teeLeft: "+", teeRight: "+", teeDown: "+", teeUp: "+", cross: "+",
        spinner: ["|", "/", "-", "\\"],
        arrowUp: "^", arrowDown: "v", arrowLeft: "<", arrowRight: ">",
        ellipsis: "...", bullet: "*", pointer: ">", check: "x")

    /// Calls `setlocale(LC_ALL, "")` and picks Unicode glyphs when the codeset is UTF-8.
    public static func forCurrentLocale() -> GlyphSet { TerminalLocale.activateUTF8() ? .unicode : .ascii }

    /// The glyph for a bar `fraction` (0...1) of one cell tall; a space for 0.
    public func verticalLevel(_ fraction: Double) -> String {
        guard fraction.isFinite, fraction > 0 else { return " " }
        let n = verticalLevels.count
        let index = min(n - 1, max(0, Int((min(fraction, 1) * Double(n)).rounded(.up)) - 1))
        return verticalLevels[index]
    }

    /// A horizontal bar `fraction` (0...1) of `width` columns long, space-padded to `width`.
    public func horizontalBar(_ fraction: Double, width: Int) -> String {
        guard width > 0 else { return "" }
        let f = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        let steps = horizontalLevels.count
        let units = Int((f * Double(width * steps)).rounded())
        let full = units / steps, part = units % steps
        var bar = String(repeating: horizontalLevels[steps - 1], count: full)
        if part > 0 { bar += horizontalLevels[part - 1] }
        return bar + String(repeating: " ", count: max(0, width - full - (part > 0 ? 1 : 0)))
    }

    /// The shade glyph for an intensity 0...1.
    public func shade(_ fraction: Double) -> String {
        let f = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        return shades[min(shades.count - 1, Int(f * Double(shades.count)))]
    }

    /// The spinner frame for a tick count.
    public func spinnerFrame(_ tick: Int) -> String { spinner[((tick % spinner.count) + spinner.count) % spinner.count] }
}

/// The process locale, which curses and glyph choice both depend on.
public enum TerminalLocale {
    /// `setlocale(LC_ALL, "")` (idempotent) and whether the codeset is UTF-8.
    @discardableResult
    public static func activateUTF8() -> Bool {
        _ = setlocale(LC_ALL, "")
        return lathe_locale_is_utf8() != 0
    }
}
