/// Colours for every `ColorRole`, read from themes/*.yaml.
public struct Theme: Hashable, Sendable {
    public var name: String
    public var fg, bg, dim, accent: ThemeColor
    public var selectionFG, selectionBG: ThemeColor
    public var good, warn, bad, border: ThemeColor
    public var headerFG, headerBG: ThemeColor
    /// Cool to hot, at least 5 stops.
    public var heat: [ThemeColor]

    public init(name: String, fg: ThemeColor, bg: ThemeColor, dim: ThemeColor, accent: ThemeColor,
                selectionFG: ThemeColor, selectionBG: ThemeColor, good: ThemeColor, warn: ThemeColor,
                bad: ThemeColor, border: ThemeColor, headerFG: ThemeColor, headerBG: ThemeColor,
                heat: [ThemeColor]) {
        self.name = name
        self.fg = fg
        self.bg = bg
        self.dim = dim
        self.accent = accent
        self.selectionFG = selectionFG
        self.selectionBG = selectionBG
        self.good = good
        self.warn = warn
        self.bad = bad
        self.border = border
        self.headerFG = headerFG
        self.headerBG = headerBG
        self.heat = heat
    }

    /// The colour a role stands for.
    public func color(for role: ColorRole) -> ThemeColor {
        switch role {
        case .fg: return fg
        case .bg: return bg
        case .dim: return dim
        case .accent: return accent
        case .good: return good
        case .warn: return warn
        case .bad: return bad
        case .border: return border
        case .selectionFG: return selectionFG
        case .selectionBG: return selectionBG
        case .headerFG: return headerFG
        case .headerBG: return headerBG
        case .heat(let level): return heatColor(level)
        }
    }

    /// The heat scale at `level` (0...1): blended between neighbouring stops when both
    /// have known RGB values, otherwise the nearest stop.
    public func heatColor(_ level: Double) -> ThemeColor {
        guard !heat.isEmpty else { return fg }
        let l = level.isFinite ? min(max(level, 0), 1) : 0
        let position = l * Double(heat.count - 1)
        let lower = Int(position.rounded(.down)), upper = min(heat.count - 1, lower + 1)
        let t = position - Double(lower)
        if t < 1e-9 || lower == upper { return heat[lower] }
        guard let a = heat[lower].components, let b = heat[upper].components else {
            return heat[t < 0.5 ? lower : upper]
        }
        return ColorQuantizer.mix(a, b, t)
    }

    /// True when every colour is the terminal default (the mono theme): the backend then
    /// shows roles with attributes, as under NO_COLOR.
    public var isMonochrome: Bool {
        ([fg, bg, dim, accent, selectionFG, selectionBG, good, warn, bad, border, headerFG, headerBG] + heat)
            .allSatisfy { $0 == .terminalDefault }
    }
}
