import CNcursesw

/// Turns what `wget_wch` returns into `KeyPress`es. Pure, so it is tested without a terminal.
enum CursesKeyDecoder {
    /// A character read with status OK. 27 (Esc) decodes as `.escape`; the backend folds
    /// an Esc immediately followed by another key into Alt+key.
    static func decode(character code: UInt32) -> KeyPress? {
        switch code {
        case 9: return KeyPress(.tab)
        case 10, 13: return KeyPress(.enter)
        case 8, 127: return KeyPress(.backspace)
        case 27: return KeyPress(.escape)
        case 0: return KeyPress(.character(" "), .control)
        case 1...26:
            guard let scalar = Unicode.Scalar(UInt32(96) + code) else { return nil }
            return KeyPress(.character(Character(scalar)), .control)
        case 28: return KeyPress(.character("\\"), .control)
        case 29: return KeyPress(.character("]"), .control)
        case 30: return KeyPress(.character("^"), .control)
        case 31: return KeyPress(.character("_"), .control)
        case 0x80..<0xA0: return nil
        default:
            guard let scalar = Unicode.Scalar(code) else { return nil }
            return KeyPress(.character(Character(scalar)))
        }
    }

    /// A key code read with status KEY_CODE_YES (not KEY_RESIZE/KEY_MOUSE, which the
    /// backend handles). `name` is `keyname(code)`, used for xterm's modified keys that
    /// ncurses numbers dynamically ("kUP5" = Ctrl-Up).
    static func decode(keyCode code: Int32, name: String?) -> KeyPress? {
        switch code {
        case KEY_UP: return KeyPress(.up)
        case KEY_DOWN: return KeyPress(.down)
        case KEY_LEFT: return KeyPress(.left)
        case KEY_RIGHT: return KeyPress(.right)
        case KEY_HOME: return KeyPress(.home)
        case KEY_END: return KeyPress(.end)
        case KEY_PPAGE: return KeyPress(.pageUp)
        case KEY_NPAGE: return KeyPress(.pageDown)
        case KEY_BTAB: return KeyPress(.backTab)
        case KEY_ENTER: return KeyPress(.enter)
        case KEY_BACKSPACE: return KeyPress(.backspace)
        case KEY_DC: return KeyPress(.delete)
        case KEY_IC: return KeyPress(.insert)
        case KEY_SR: return KeyPress(.up, .shift)
        case KEY_SF: return KeyPress(.down, .shift)
        case KEY_SLEFT: return KeyPress(.left, .shift)
        case KEY_SRIGHT: return KeyPress(.right, .shift)
        case KEY_SHOME: return KeyPress(.home, .shift)
        case KEY_SEND: return KeyPress(.end, .shift)
        case KEY_SPREVIOUS: return KeyPress(.pageUp, .shift)
        case KEY_SNEXT: return KeyPress(.pageDown, .shift)
        case KEY_SDC: return KeyPress(.delete, .shift)
        case KEY_SIC: return KeyPress(.insert, .shift)
        case (KEY_F0 + 1)...(KEY_F0 + 63): return KeyPress(.function(Int(code - KEY_F0)))
        default: return name.flatMap(decodeExtended)
        }
    }

    /// xterm modified keys: a capability name plus the modifier parameter 2–8
    /// (1 + shift·1 + alt·2 + ctrl·4), e.g. "kRIT3" = Alt-Right, "kDC5" = Ctrl-Delete.
    static func decodeExtended(_ name: String) -> KeyPress? {
        let bases: [(String, Key)] = [
            ("kUP", .up), ("kDN", .down), ("kLFT", .left), ("kRIT", .right), ("kHOM", .home),
            ("kEND", .end), ("kPRV", .pageUp), ("kNXT", .pageDown), ("kDC", .delete), ("kIC", .insert),
        ]
        for (prefix, key) in bases where name.hasPrefix(prefix) {
            guard let digit = Int(name.dropFirst(prefix.count)), (2...8).contains(digit) else { return nil }
            return KeyPress(key, Modifiers(rawValue: UInt8(digit - 1)))
        }
        return nil
    }

    /// Mouse state from ncurses' `bstate` (decoded in C by the shim).
    static func decodeMouse(kind: Int32, modifierBits: Int32, x: Int32, y: Int32) -> MouseEvent? {
        let action: MouseAction
        switch kind {
        case 1: action = .press(.left)
        case 2: action = .press(.middle)
        case 3: action = .press(.right)
        case 4: action = .wheelUp
        case 5: action = .wheelDown
        case 6: action = .release(.left)
        default: return nil
        }
        return MouseEvent(action, at: Point(x: Int(x), y: Int(y)), modifiers: Modifiers(rawValue: UInt8(modifierBits & 7)))
    }
}
