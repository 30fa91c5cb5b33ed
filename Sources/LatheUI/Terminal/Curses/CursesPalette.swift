import CNcursesw

/// Maps styles to curses colour pairs and attributes for one colour depth. Pairs are
/// allocated lazily and cached by (foreground, background) colour numbers; in `.palette`
/// depth, RGB colours get palette entries 16–255 on first use.
final class CursesPalette {
    let depth: ColorDepth
    /// False when the terminal cannot use its default colours (-1) in pairs.
    let defaultColorsUsable: Bool
    private(set) var theme: Theme
    private(set) var paletteChanged = false
    private var pairs: [Int64: Int32] = [:]
    private var nextPair: Int32 = 1
    private var slots: [ThemeColor: Int32] = [:]
    private var nextSlot: Int32 = 16

    init(depth: ColorDepth, defaultColorsUsable: Bool, theme: Theme) {
        self.depth = depth
        self.defaultColorsUsable = defaultColorsUsable
        self.theme = theme
    }

    /// True when roles are shown with attributes rather than colours.
    var isMonochrome: Bool { depth == .monochrome || theme.isMonochrome }

    func setTheme(_ theme: Theme) {
        self.theme = theme
        // Palette entries are reassigned for the new colours; the repaint that follows
        // a theme change redraws every cell that used the old ones.
        slots = [:]
        nextSlot = 16
    }

    /// The colour pair number for a style (0 = terminal defaults).
    func pair(for style: Style) -> Int32 {
        guard !isMonochrome else { return 0 }
        let fgColor = theme.color(for: style.foreground), bgColor = theme.color(for: style.background)
        var fg = number(fgColor, background: false)
        let bg = number(bgColor, background: true)
        if fg == bg, fgColor != bgColor, fg >= 0, fg < 16 {
            // Few colours merged distinct theme colours: keep the text readable.
            fg = ColorQuantizer.isDark(index: UInt8(bg)) ? 7 : 0
        }
        if fg == -1, bg == -1 { return 0 }
        let key = Int64(fg) << 32 | Int64(UInt32(bitPattern: bg))
        if let cached = pairs[key] { return cached }
        guard nextPair < lathe_color_pairs() else { return 0 }
        let pair = nextPair
        nextPair += 1
        init_extended_pair(pair, fg, bg)
        pairs[key] = pair
        return pair
    }

    /// Attribute bits: the style's own, plus role emphasis where there is no colour.
    func attributes(for style: Style) -> UInt32 {
        var bits = lathe_a_normal()
        if style.bold { bits |= lathe_a_bold() }
        if style.reverse { bits |= lathe_a_reverse() }
        if style.underline { bits |= lathe_a_underline() }
        guard isMonochrome else { return bits }
        switch style.background {
        case .selectionBG, .headerBG: bits |= lathe_a_reverse()
        case .heat(let level) where level >= 0.5: bits |= lathe_a_reverse()
        default: break
        }
        switch style.foreground {
        case .accent, .bad, .warn: bits |= lathe_a_bold()
        case .dim, .border: bits |= lathe_a_dim()
        case .heat(let level) where level >= 0.75: bits |= lathe_a_bold()
        default: break
        }
        return bits
    }

    private func number(_ color: ThemeColor, background: Bool) -> Int32 {
        var n = depth.colorNumber(color) ?? slot(for: color)
        if n == -1, !defaultColorsUsable { n = background ? 0 : 7 }
        return n
    }

    /// A redefined palette entry showing `color` exactly (`.palette` depth only).
    private func slot(for color: ThemeColor) -> Int32 {
        if let existing = slots[color] { return existing }
        guard let c = color.components else { return -1 }
        guard nextSlot <= 255 else { return Int32(ColorQuantizer.nearest16(c.r, c.g, c.b)) }
        let slot = nextSlot
        nextSlot += 1
        func scale(_ v: UInt8) -> Int32 { Int32(v) * 1000 / 255 }
        init_extended_color(slot, scale(c.r), scale(c.g), scale(c.b))
        paletteChanged = true
        slots[color] = slot
        return slot
    }
}
