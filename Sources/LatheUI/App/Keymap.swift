/// One row of the key table: a command, the keys bound to it, and the words the
/// status-line hints and the help overlay show for it.
public struct KeyTableEntry: Sendable, Equatable {
    /// Where a command appears on the hint line: commands with the same label share one
    /// hint ("↑↓ move"); a lower priority stays longer when the line is too narrow.
    public struct Hint: Sendable, Equatable {
        public var label: String
        public var priority: Int
        public init(_ label: String, _ priority: Int) {
            self.label = label
            self.priority = priority
        }
    }

    public var command: Command
    public var keys: [KeyPress]
    /// A sentence for the help overlay.
    public var help: String
    public var section: KeySection
    /// nil: the command is only in the help overlay.
    public var hint: Hint?

    public init(_ command: Command, _ keys: [KeyPress], help: String, section: KeySection, hint: Hint? = nil) {
        self.command = command
        self.keys = keys
        self.help = help
        self.section = section
        self.hint = hint
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

    /// The hint line's groups in order of first appearance in the table: the commands that
    /// share a hint label, that label, and its priority.
    public static let hintGroups: [(commands: [Command], label: String, priority: Int)] = {
        var groups: [(commands: [Command], label: String, priority: Int)] = []
        for entry in standard.entries {
            guard let hint = entry.hint else { continue }
            if let i = groups.firstIndex(where: { $0.label == hint.label }) {
                groups[i].commands.append(entry.command)
            } else {
                groups.append(([entry.command], hint.label, hint.priority))
            }
        }
        return groups
    }()

    /// The default bindings (see the help overlay, `?`). `g`/`G` jump to the first and
    /// last layer, so granularity is on `r` and the scheme (mode) on `m`.
    public static let standard = Keymap(entries: [
        KeyTableEntry(.moveUp, [KeyPress(.up), .char("k")], help: "select the layer above",
                      section: .move, hint: .init("move", 1)),
        KeyTableEntry(.moveDown, [KeyPress(.down), .char("j")], help: "select the layer below",
                      section: .move, hint: .init("move", 1)),
        KeyTableEntry(.pageUp, [KeyPress(.pageUp)], help: "one screen up", section: .move),
        KeyTableEntry(.pageDown, [KeyPress(.pageDown)], help: "one screen down", section: .move),
        KeyTableEntry(.first, [.char("g"), KeyPress(.home)], help: "first layer", section: .move),
        KeyTableEntry(.last, [.char("G"), KeyPress(.end)], help: "last layer", section: .move),
        KeyTableEntry(.nextPane, [KeyPress(.tab)], help: "next pane (layers, detail)", section: .move),
        KeyTableEntry(.previousPane, [KeyPress(.backTab)], help: "previous pane", section: .move),
        KeyTableEntry(.focusDetail, [KeyPress(.enter)],
                      help: "focus the detail pane (↑/↓ scroll it); in the heatmap, apply the cell",
                      section: .move),
        KeyTableEntry(.search, [.char("/")], help: "search layer names as you type; Enter keeps", section: .move),
        KeyTableEntry(.nextMatch, [.char("n")], help: "next layer matching the search", section: .move),
        KeyTableEntry(.previousMatch, [.char("N")], help: "previous layer matching the search", section: .move),
        KeyTableEntry(.sort, [.char("S")], help: "sort the table: graph order, sensitivity, size, name",
                      section: .move),

        KeyTableEntry(.fewerBits, [KeyPress(.left), .char("h")],
                      help: "fewer bits: float32 → fp16 → 8 → 7 → … → 1 (16 is IEEE fp16)",
                      section: .edit, hint: .init("bits", 1)),
        KeyTableEntry(.moreBits, [KeyPress(.right), .char("l")], help: "more bits: 1 → … → 8 → fp16 → float32",
                      section: .edit, hint: .init("bits", 1)),
        KeyTableEntry(.pruneLess, [.char("[")], help: "pruning ratio − 5%", section: .edit, hint: .init("prune", 2)),
        KeyTableEntry(.pruneMore, [.char("]")], help: "pruning ratio + 5%", section: .edit, hint: .init("prune", 2)),
        KeyTableEntry(.cycleStructure, [.char("p")], help: "pruning structure: unstructured, channel, 2:4",
                      section: .edit, hint: .init("struct", 4)),
        KeyTableEntry(.cycleClusters, [.char("c")],
                      help: "weight sharing: off, 256, 64, 16, 8, 4, 2 clusters (replaces integer bits)",
                      section: .edit, hint: .init("share", 3)),
        KeyTableEntry(.cycleGranularity, [.char("r")], help: "granularity: per-channel ↔ per-tensor (integer bits)",
                      section: .edit),
        KeyTableEntry(.cycleScheme, [.char("m")], help: "mode: symmetric ↔ asymmetric (integer bits)", section: .edit),
        KeyTableEntry(.cycleRecovery, [.char("R")],
                      help: "recovery: round-to-nearest → GPTQ → GPTQ + bias correction → bias correction "
                          + "(calibrated on the first samples)",
                      section: .edit),
        KeyTableEntry(.cycleGrid, [.char("f")], help: "grid: uniform → nf4 (4 bits) → pow2 (2–8 bits)", section: .edit),
        KeyTableEntry(.cyclePruneMethod, [.char("P")], help: "pruning method: magnitude ↔ SparseGPT",
                      section: .edit),
        KeyTableEntry(.toggleMark, [.char(" ")],
                      help: "mark or unmark the layer (edits then apply to every marked layer)",
                      section: .edit, hint: .init("mark", 5)),
        KeyTableEntry(.applyToMarked, [.char("A")],
                      help: "copy the selected layer's settings to the marked layers (all when none)",
                      section: .edit),
        KeyTableEntry(.undo, [.char("u")], help: "undo the last change", section: .edit, hint: .init("undo", 3)),
        KeyTableEntry(.redo, [.ctrl("r")], help: "redo", section: .edit),

        KeyTableEntry(.sweep, [.char("s")], help: "sensitivity sweep of every layer (progress below; Esc cancels)",
                      section: .analyse, hint: .init("sweep", 3)),
        KeyTableEntry(.autoSearch, [.char("a")],
                      help: "automatic search within a budget: 1% (max drop), 4x (ratio) or 20KB (size)",
                      section: .analyse),
        KeyTableEntry(.heatmap, [.char("H")], help: "sensitivity heatmap, layers × levels (←/→ pick a level)",
                      section: .analyse, hint: .init("heatmap", 6)),
        KeyTableEntry(.heatmapSet, [.char("v")],
                      help: "heatmap view: worst over the evaluation sets, then each set",
                      section: .analyse),
        KeyTableEntry(.paretoView, [.char("F")],
                      help: "Pareto front of the last search (←/→ walk its points, Enter applies one)",
                      section: .analyse),
        KeyTableEntry(.logScale, [.char("L")], help: "histogram counts: linear ↔ log scale", section: .analyse),
        KeyTableEntry(.cancel, [KeyPress(.escape)],
                      help: "close an overlay, leave the detail pane, cancel a sweep or search",
                      section: .analyse),

        KeyTableEntry(.openConfig, [.char("o")], help: "open a configuration file", section: .files),
        KeyTableEntry(.export, [.char("e")], help: "export the configuration (v1 YAML, measured metrics in comments)",
                      section: .files, hint: .init("export", 1)),
        KeyTableEntry(.cycleTheme, [.char("t")], help: "next colour theme", section: .files),
        KeyTableEntry(.help, [.char("?")], help: "this help (Esc closes)", section: .files, hint: .init("help", 1)),
        KeyTableEntry(.quit, [.char("q")], help: "quit (asks first when changes are not exported)",
                      section: .files, hint: .init("quit", 1)),
    ])
}
