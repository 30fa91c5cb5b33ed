/// Key names as key files write them and the help overlay shows them: a single
/// character ("q", "G", "/"), or a name — Up, Down, Left, Right, PgUp, PgDn, Home,
/// End, Tab, Shift-Tab, Enter, Backspace, Esc, Del, Ins, Space, F1–F12 — with
/// optional Ctrl-, Alt- or Shift- prefixes ("Ctrl-R", "Alt-x"). Names ignore case;
/// single characters do not ("g" and "G" differ).
public enum KeyNames {
    static let named: [String: Key] = [
        "up": .up, "down": .down, "left": .left, "right": .right,
        "pgup": .pageUp, "pageup": .pageUp, "pgdn": .pageDown, "pagedown": .pageDown,
        "home": .home, "end": .end, "tab": .tab, "shift-tab": .backTab, "backtab": .backTab,
        "enter": .enter, "return": .enter, "backspace": .backspace, "esc": .escape, "escape": .escape,
        "del": .delete, "delete": .delete, "ins": .insert, "insert": .insert, "space": .character(" "),
    ]

    /// The key `text` names, or nil.
    public static func parse(_ text: String) -> KeyPress? {
        if text.count == 1, let c = text.first { return c == " " ? KeyPress(.character(" ")) : .char(c) }
        var rest = Substring(text)
        var modifiers: Modifiers = []
        while true {
            let lower = rest.lowercased()
            if lower.hasPrefix("ctrl-"), rest.count > 5 { modifiers.insert(.control); rest = rest.dropFirst(5); continue }
            if lower.hasPrefix("alt-"), rest.count > 4 { modifiers.insert(.alt); rest = rest.dropFirst(4); continue }
            if lower.hasPrefix("shift-"), rest.count > 6, lower != "shift-tab" {
                modifiers.insert(.shift); rest = rest.dropFirst(6); continue
            }
            break
        }
        if rest.count == 1, let c = rest.first {
            // Ctrl-letters arrive lower-case whatever the user writes.
            let character = modifiers.contains(.control) ? Character(c.lowercased()) : c
            return KeyPress(.character(character), modifiers)
        }
        let lower = rest.lowercased()
        if let key = named[lower] { return KeyPress(key, modifiers) }
        if lower.hasPrefix("f"), let n = Int(lower.dropFirst()), (1...24).contains(n) {
            return KeyPress(.function(n), modifiers)
        }
        return nil
    }

    /// How a key is shown in hints and help: arrows as glyphs when `unicodeArrows`.
    public static func display(_ key: KeyPress, arrows: (up: String, down: String, left: String, right: String)? = nil)
        -> String {
        if key.modifiers.isEmpty, let arrows {
            switch key.key {
            case .up: return arrows.up
            case .down: return arrows.down
            case .left: return arrows.left
            case .right: return arrows.right
            default: break
            }
        }
        return key.description
    }
}
