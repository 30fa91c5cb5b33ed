/// One row of the key table: a command, the keys bound to it, and the words the
/// status-line hints and the help overlay show for it.
public struct KeyTableEntry: Sendable, Equatable {
    public var command: Command
    public var keys: [KeyPress]
    /// A word or two for the hint line ("bits", "export").
    public var label: String
    /// A sentence for the help overlay.
    public var help: String
    public var section: KeySection

    public init(_ command: Command, _ keys: [KeyPress], label: String, help: String, section: KeySection) {
        self.command = command
        self.keys = keys
        self.label = label
        self.help = help
        self.section = section
    }
}

/// The one key table: dispatch, the hint line and the help overlay all read it,
/// so a rebound key shows up everywhere at once.
public struct Keymap: Sendable, Equatable {
    public private(set) var entries: [KeyTableEntry]
    private var lookup: [KeyPress: Command]

    public init(entries: [KeyTableEntry]) {
        self.entries = entries
        lookup = [:]
        rebuildLookup()
    }

    /// The command bound to `key`, if any.
    public func command(for key: KeyPress) -> Command? {
        if let command = lookup[key] { return command }
        // Terminals report Shift with some keys and not others; a shifted printable key
        // matches its plain binding ("G" arrives either way).
        if key.modifiers == .shift, case .character = key.key { return lookup[KeyPress(key.key)] }
        return nil
    }

    public func entry(for command: Command) -> KeyTableEntry? { entries.first { $0.command == command } }

    public func keys(for command: Command) -> [KeyPress] { entry(for: command)?.keys ?? [] }

    /// Binds `keys` to `command` in place of its current keys; a key that another command
    /// had is taken from it (the newer binding wins).
    public mutating func rebind(_ command: Command, to keys: [KeyPress]) {
        let taken = Set(keys)
        for i in entries.indices {
            if entries[i].command == command {
                entries[i].keys = keys
            } else {
                entries[i].keys.removeAll { taken.contains($0) }
            }
        }
        rebuildLookup()
    }

    /// Entries of one help section, in table order.
    public func entries(in section: KeySection) -> [KeyTableEntry] { entries.filter { $0.section == section } }

    private mutating func rebuildLookup() {
        lookup = [:]
        for entry in entries {
            for key in entry.keys where lookup[key] == nil { lookup[key] = entry.command }
        }
    }

    /// The hint line's groups in order: commands shown together under one label, and a
    /// priority (lower stays longer when the line is too narrow for all).
    public static let hintGroups: [(commands: [Command], label: String, priority: Int)] = [
        ([.moveUp, .moveDown], "move", 1),
        ([.fewerBits, .moreBits], "bits", 1),
        ([.pruneLess, .pruneMore], "prune", 2),
        ([.cycleStructure], "struct", 4),
        ([.cycleClusters], "share", 3),
        ([.toggleMark], "mark", 5),
        ([.undo], "undo", 3),
        ([.sweep], "sweep", 3),
        ([.heatmap], "heatmap", 6),
        ([.export], "export", 1),
        ([.help], "help", 1),
        ([.quit], "quit", 1),
    ]

    /// The default bindings (see the help overlay, `?`). `g`/`G` jump to the first and
    /// last layer, so granularity is on `r` and the scheme (mode) on `m`.
    public static let standard = Keymap(entries: [
        KeyTableEntry(.moveUp, [KeyPress(.up), .char("k")], label: "up", help: "select the layer above", section: .move),
        KeyTableEntry(.moveDown, [KeyPress(.down), .char("j")], label: "down", help: "select the layer below",
                      section: .move),
        KeyTableEntry(.pageUp, [KeyPress(.pageUp)], label: "page up", help: "one screen up", section: .move),
        KeyTableEntry(.pageDown, [KeyPress(.pageDown)], label: "page down", help: "one screen down", section: .move),
        KeyTableEntry(.first, [.char("g"), KeyPress(.home)], label: "first", help: "first layer", section: .move),
        KeyTableEntry(.last, [.char("G"), KeyPress(.end)], label: "last", help: "last layer", section: .move),
        KeyTableEntry(.nextPane, [KeyPress(.tab)], label: "pane", help: "next pane (layers, detail)", section: .move),
        KeyTableEntry(.previousPane, [KeyPress(.backTab)], label: "pane", help: "previous pane", section: .move),
        KeyTableEntry(.focusDetail, [KeyPress(.enter)], label: "detail",
                      help: "focus the detail pane (↑/↓ scroll it); in the heatmap, apply the cell", section: .move),
        KeyTableEntry(.search, [.char("/")], label: "search", help: "search layer names as you type; Enter keeps",
                      section: .move),
        KeyTableEntry(.nextMatch, [.char("n")], label: "next", help: "next layer matching the search", section: .move),
        KeyTableEntry(.previousMatch, [.char("N")], label: "previous", help: "previous layer matching the search",
                      section: .move),
        KeyTableEntry(.sort, [.char("S")], label: "sort",
                      help: "sort the table: graph order, sensitivity, size, name", section: .move),

        KeyTableEntry(.fewerBits, [KeyPress(.left), .char("h")], label: "fewer bits",
                      help: "fewer bits: float32 → fp16 → 8 → 7 → … → 1 (16 is IEEE fp16)", section: .edit),
        KeyTableEntry(.moreBits, [KeyPress(.right), .char("l")], label: "more bits",
                      help: "more bits: 1 → … → 8 → fp16 → float32", section: .edit),
        KeyTableEntry(.pruneLess, [.char("[")], label: "prune −", help: "pruning ratio − 5%", section: .edit),
        KeyTableEntry(.pruneMore, [.char("]")], label: "prune +", help: "pruning ratio + 5%", section: .edit),
        KeyTableEntry(.cycleStructure, [.char("p")], label: "structure",
                      help: "pruning structure: unstructured, channel, 2:4", section: .edit),
        KeyTableEntry(.cycleClusters, [.char("c")], label: "clusters",
                      help: "weight sharing: off, 256, 64, 16, 8, 4, 2 clusters (replaces integer bits)",
                      section: .edit),
        KeyTableEntry(.cycleGranularity, [.char("r")], label: "granularity",
                      help: "granularity: per-channel ↔ per-tensor (integer bits)", section: .edit),
        KeyTableEntry(.cycleScheme, [.char("m")], label: "mode",
                      help: "mode: symmetric ↔ asymmetric (integer bits)", section: .edit),
        KeyTableEntry(.toggleMark, [.char(" ")], label: "mark",
                      help: "mark or unmark the layer (edits then apply to every marked layer)", section: .edit),
        KeyTableEntry(.applyToMarked, [.char("A")], label: "apply all",
                      help: "copy the selected layer's settings to the marked layers (all when none)",
                      section: .edit),
        KeyTableEntry(.undo, [.char("u")], label: "undo", help: "undo the last change", section: .edit),
        KeyTableEntry(.redo, [.ctrl("r")], label: "redo", help: "redo", section: .edit),

        KeyTableEntry(.sweep, [.char("s")], label: "sweep",
                      help: "sensitivity sweep of every layer (progress below; Esc cancels)", section: .analyse),
        KeyTableEntry(.autoSearch, [.char("a")], label: "search",
                      help: "automatic search within a budget: 1% (max drop), 4x (ratio) or 20KB (size)",
                      section: .analyse),
        KeyTableEntry(.heatmap, [.char("H")], label: "heatmap",
                      help: "sensitivity heatmap, layers × levels (←/→ pick a level)", section: .analyse),
        KeyTableEntry(.logScale, [.char("L")], label: "log",
                      help: "histogram counts: linear ↔ log scale", section: .analyse),
        KeyTableEntry(.cancel, [KeyPress(.escape)], label: "cancel",
                      help: "close an overlay, leave the detail pane, cancel a sweep or search", section: .analyse),

        KeyTableEntry(.openConfig, [.char("o")], label: "open", help: "open a configuration file", section: .files),
        KeyTableEntry(.export, [.char("e")], label: "export",
                      help: "export the configuration (v1 YAML, measured metrics in comments)", section: .files),
        KeyTableEntry(.cycleTheme, [.char("t")], label: "theme", help: "next colour theme", section: .files),
        KeyTableEntry(.help, [.char("?")], label: "help", help: "this help (Esc closes)", section: .files),
        KeyTableEntry(.quit, [.char("q")], label: "quit",
                      help: "quit (asks first when changes are not exported)", section: .files),
    ])
}
