/// A colour named by its meaning; the active `Theme` decides the actual colour, and
/// the backend reduces it to what the terminal can show.
public enum ColorRole: Hashable, Sendable {
    case fg, bg, dim, accent, good, warn, bad, border
    case selectionFG, selectionBG, headerFG, headerBG
    /// A point on the theme's cool-to-hot scale, 0...1 (clamped, quantised to 1/64).
    case heat(Double)

    /// Builds a heat role with a clamped, quantised level, so equal-looking cells compare equal.
    public static func heatLevel(_ level: Double) -> ColorRole {
        guard level.isFinite else { return .heat(0) }
        return .heat((min(max(level, 0), 1) * 64).rounded() / 64)
    }
}

/// How a cell looks: foreground and background roles plus attributes.
public struct Style: Hashable, Sendable {
    public var foreground: ColorRole
    public var background: ColorRole
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool

    public init(_ foreground: ColorRole = .fg, on background: ColorRole = .bg,
                bold: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
    }

    public static let fg = Style(.fg)
    public static let dim = Style(.dim)
    public static let accent = Style(.accent)
    public static let good = Style(.good)
    public static let warn = Style(.warn)
    public static let bad = Style(.bad)
    public static let border = Style(.border)
    public static let selection = Style(.selectionFG, on: .selectionBG)
    public static let header = Style(.headerFG, on: .headerBG)
    /// Heat as text colour (block glyphs of a heatmap).
    public static func heat(_ level: Double) -> Style { Style(.heatLevel(level)) }
    /// Heat as background (a filled heatmap cell with text on it).
    public static func heatBackground(_ level: Double) -> Style { Style(.bg, on: .heatLevel(level)) }

    public func bolded(_ on: Bool = true) -> Style { var s = self; s.bold = on; return s }
    public func reversed(_ on: Bool = true) -> Style { var s = self; s.reverse = on; return s }
    public func underlined(_ on: Bool = true) -> Style { var s = self; s.underline = on; return s }
    public func on(_ background: ColorRole) -> Style { var s = self; s.background = background; return s }
    public func with(foreground: ColorRole) -> Style { var s = self; s.foreground = foreground; return s }
}
