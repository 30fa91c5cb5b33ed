/// A one-line text field with the readline keys people expect: ←/→, Home/End,
/// Ctrl-A/Ctrl-E, Backspace, Delete, Ctrl-U (clears the line), Ctrl-W (deletes
/// the word before the cursor), Ctrl-K (deletes to the end). Enter and Esc are
/// the prompt's business.
public struct LineEditor: Sendable, Equatable {
    public private(set) var characters: [Character]
    /// Insertion point, 0...characters.count.
    public private(set) var cursor: Int

    public init(_ text: String = "") {
        characters = Array(text)
        cursor = characters.count
    }

    public var text: String { String(characters) }

    /// Applies an editing key; false when the key is not an editing key.
    @discardableResult
    public mutating func handle(_ key: KeyPress) -> Bool {
        let ctrl = key.modifiers.contains(.control)
        switch key.key {
        case .left where key.modifiers.isEmpty: cursor = max(0, cursor - 1)
        case .right where key.modifiers.isEmpty: cursor = min(characters.count, cursor + 1)
        case .home: cursor = 0
        case .end: cursor = characters.count
        case .backspace:
            guard cursor > 0 else { return true }
            characters.remove(at: cursor - 1)
            cursor -= 1
        case .delete:
            guard cursor < characters.count else { return true }
            characters.remove(at: cursor)
        case .character("a") where ctrl: cursor = 0
        case .character("e") where ctrl: cursor = characters.count
        case .character("b") where ctrl: cursor = max(0, cursor - 1)
        case .character("f") where ctrl: cursor = min(characters.count, cursor + 1)
        case .character("u") where ctrl:
            characters.removeAll()
            cursor = 0
        case .character("k") where ctrl: characters.removeSubrange(cursor...)
        case .character("h") where ctrl: return handle(KeyPress(.backspace))
        case .character("d") where ctrl: return handle(KeyPress(.delete))
        case .character("w") where ctrl: deleteWordBeforeCursor()
        case .character(let c) where key.modifiers.isEmpty || key.modifiers == .shift:
            characters.insert(c, at: cursor)
            cursor += 1
        default: return false
        }
        return true
    }

    /// Deletes back to the previous word boundary (spaces, then non-spaces), as readline does;
    /// a path's "/" also ends a word, so Ctrl-W removes one path component at a time.
    private mutating func deleteWordBeforeCursor() {
        var start = cursor
        while start > 0, characters[start - 1] == " " { start -= 1 }
        if start > 0, characters[start - 1] == "/" { start -= 1 }
        while start > 0, characters[start - 1] != " ", characters[start - 1] != "/" { start -= 1 }
        characters.removeSubrange(start..<cursor)
        cursor = start
    }
}
