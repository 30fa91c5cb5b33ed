/// A key without modifiers. Control and Alt combinations are `.character` plus
/// `Modifiers` (Ctrl-R is `.character("r")` with `.control`).
public enum Key: Hashable, Sendable {
    case character(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case tab, backTab, enter, backspace, escape, delete, insert
    case function(Int)
}

public struct Modifiers: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let shift = Modifiers(rawValue: 1)
    public static let alt = Modifiers(rawValue: 2)
    public static let control = Modifiers(rawValue: 4)
}

public struct KeyPress: Hashable, Sendable, CustomStringConvertible {
    public var key: Key
    public var modifiers: Modifiers
    public init(_ key: Key, _ modifiers: Modifiers = []) {
        self.key = key
        self.modifiers = modifiers
    }
    /// A printable character key.
    public static func char(_ c: Character) -> KeyPress { KeyPress(.character(c)) }
    /// Ctrl plus a letter, e.g. `.ctrl("r")`.
    public static func ctrl(_ c: Character) -> KeyPress { KeyPress(.character(c), .control) }

    /// A readable name ("Ctrl-R", "Alt-x", "Shift-Tab", "PgDn", "F5", "q") for help and hints.
    public var description: String {
        var name: String
        switch key {
        case .character(" "): name = "Space"
        case .character(let c): name = modifiers.contains(.control) ? String(c).uppercased() : String(c)
        case .up: name = "Up"
        case .down: name = "Down"
        case .left: name = "Left"
        case .right: name = "Right"
        case .pageUp: name = "PgUp"
        case .pageDown: name = "PgDn"
        case .home: name = "Home"
        case .end: name = "End"
        case .tab: name = "Tab"
        case .backTab: name = "Shift-Tab"
        case .enter: name = "Enter"
        case .backspace: name = "Backspace"
        case .escape: name = "Esc"
        case .delete: name = "Del"
        case .insert: name = "Ins"
        case .function(let n): name = "F\(n)"
        }
        if modifiers.contains(.shift), key != .backTab { name = "Shift-" + name }
        if modifiers.contains(.alt) { name = "Alt-" + name }
        if modifiers.contains(.control) { name = "Ctrl-" + name }
        return name
    }
}

public enum MouseAction: Hashable, Sendable {
    case press(MouseButton)
    case release(MouseButton)
    case wheelUp, wheelDown
}

public enum MouseButton: String, Hashable, Sendable { case left, middle, right }

extension MouseAction: CustomStringConvertible {
    /// "press left", "release left", "wheel up", "wheel down".
    public var description: String {
        switch self {
        case .press(let button): return "press \(button.rawValue)"
        case .release(let button): return "release \(button.rawValue)"
        case .wheelUp: return "wheel up"
        case .wheelDown: return "wheel down"
        }
    }
}

public struct MouseEvent: Hashable, Sendable, CustomStringConvertible {
    public var action: MouseAction
    public var position: Point
    public var modifiers: Modifiers
    public init(_ action: MouseAction, at position: Point, modifiers: Modifiers = []) {
        self.action = action
        self.position = position
        self.modifiers = modifiers
    }
    /// "press left at 4,9" (column, row from 0).
    public var description: String { "\(action) at \(position.x),\(position.y)" }
}

/// What a backend reports.
public enum TerminalEvent: Hashable, Sendable {
    case key(KeyPress)
    case mouse(MouseEvent)
    /// The terminal now has this size (the backend has already adapted).
    case resize(TerminalSize)
    /// The backend's `WakeSignal` fired: another thread posted to a mailbox.
    case wake
}
