/// How many colours the terminal can show, best first.
public enum ColorDepth: Hashable, Sendable {
    /// 24-bit colour numbers (direct-colour terminfo, e.g. TERM=xterm-direct).
    case direct
    /// 24-bit colour by redefining palette entries 16–255 (COLORTERM=truecolor and the
    /// terminal can change colours).
    case palette
    case xterm256
    case ansi16
    case ansi8
    /// Attributes only (NO_COLOR, or no colour support).
    case monochrome

    /// Picks the depth from what terminfo and the environment say.
    public static func detect(environment: [String: String], hasColors: Bool, colors: Int,
                              canChangeColor: Bool) -> ColorDepth {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .monochrome }
        guard hasColors, colors >= 8 else { return .monochrome }
        if colors >= 1 << 24 { return .direct }
        let colorterm = environment["COLORTERM"]?.lowercased() ?? ""
        // tmux and screen do not pass palette changes through, whatever TERM claims.
        let multiplexed = environment["TMUX"] != nil || environment["STY"] != nil
        if colors >= 256, canChangeColor, !multiplexed, colorterm == "truecolor" || colorterm == "24bit" {
            return .palette
        }
        if colors >= 256 { return .xterm256 }
        if colors >= 16 { return .ansi16 }
        return .ansi8
    }

    /// The colour number for `color` at this depth, or nil where the palette must be
    /// redefined (`.palette` with an RGB colour): the backend allocates a slot then.
    /// -1 is the terminal default.
    public func colorNumber(_ color: ThemeColor) -> Int32? {
        switch (self, color) {
        case (.monochrome, _), (_, .terminalDefault): return -1
        case (.direct, .indexed(let i)) where i < 8: return Int32(i)
        case (.direct, _):
            guard let c = color.components else { return -1 }
            // Values below 8 would be read as ANSI indices; nudge them off black.
            return max(8, Int32(c.r) << 16 | Int32(c.g) << 8 | Int32(c.b))
        case (.palette, .indexed(let i)) where i < 16: return Int32(i)
        case (.palette, _): return nil
        case (.xterm256, .indexed(let i)): return Int32(i)
        case (.xterm256, .rgb(let r, let g, let b)): return Int32(ColorQuantizer.nearest256(r, g, b))
        case (.ansi16, .indexed(let i)) where i < 16: return Int32(i)
        case (.ansi16, _):
            guard let c = color.components else { return -1 }
            return Int32(ColorQuantizer.nearest16(c.r, c.g, c.b))
        case (.ansi8, .indexed(let i)) where i < 8: return Int32(i)
        case (.ansi8, .indexed(let i)) where i < 16: return Int32(i - 8)
        case (.ansi8, _):
            guard let c = color.components else { return -1 }
            return Int32(ColorQuantizer.nearest8(c.r, c.g, c.b))
        }
    }
}
