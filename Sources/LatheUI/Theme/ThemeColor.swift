import Foundation

/// A colour as a theme file writes it.
public enum ThemeColor: Hashable, Sendable, CustomStringConvertible {
    /// The terminal's own default foreground/background.
    case terminalDefault
    /// One of the 256 xterm palette entries (0–15 are the named ANSI colours).
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    /// The 16 ANSI names, by palette index; `gray`/`grey` alias `bright_black`.
    public static let names: [String] = [
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
        "bright_black", "bright_red", "bright_green", "bright_yellow",
        "bright_blue", "bright_magenta", "bright_cyan", "bright_white",
    ]

    /// Parses `#rrggbb`, `#rgb`, a palette index 0–255, an ANSI name or `default`;
    /// nil when the text is none of these.
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: [" ", "\t"]).lowercased()
        if t == "default" { self = .terminalDefault; return }
        if t == "gray" || t == "grey" { self = .indexed(8); return }
        if let i = ThemeColor.names.firstIndex(of: t.replacingOccurrences(of: "-", with: "_")) {
            self = .indexed(UInt8(i))
            return
        }
        if t.hasPrefix("#") {
            let hex = Array(t.dropFirst())
            guard hex.allSatisfy(\.isHexDigit) else { return nil }
            let digits = hex.count == 3 ? hex.flatMap { [$0, $0] } : hex
            guard digits.count == 6, let v = UInt32(String(digits), radix: 16) else { return nil }
            self = .rgb(UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF))
            return
        }
        if let n = Int(t), (0...255).contains(n) { self = .indexed(UInt8(n)); return }
        return nil
    }

    /// Red, green, blue; palette entries use xterm's default palette, and the terminal
    /// default counts as nil (its real colour is unknown).
    public var components: (r: UInt8, g: UInt8, b: UInt8)? {
        switch self {
        case .terminalDefault: return nil
        case .rgb(let r, let g, let b): return (r, g, b)
        case .indexed(let i): return ColorQuantizer.rgb(ofIndex: i)
        }
    }

    public var description: String {
        switch self {
        case .terminalDefault: return "default"
        case .indexed(let i): return i < 16 ? ThemeColor.names[Int(i)] : "\(i)"
        case .rgb(let r, let g, let b):
            return "#" + [r, g, b].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
    }
}
