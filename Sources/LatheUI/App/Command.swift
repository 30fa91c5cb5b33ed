/// Everything a key can do in the explorer. The raw value is the name a key file
/// (`~/.config/lathe/keys.yaml`) uses to rebind it.
public enum Command: String, CaseIterable, Sendable, Hashable {
    // Move
    case moveUp = "move-up"
    case moveDown = "move-down"
    case pageUp = "page-up"
    case pageDown = "page-down"
    case first
    case last
    case nextPane = "next-pane"
    case previousPane = "previous-pane"
    case focusDetail = "focus-detail"
    case search
    case nextMatch = "next-match"
    case previousMatch = "previous-match"
    case sort
    // Edit
    case fewerBits = "fewer-bits"
    case moreBits = "more-bits"
    case pruneLess = "prune-less"
    case pruneMore = "prune-more"
    case cycleStructure = "structure"
    case cycleClusters = "clusters"
    case cycleGranularity = "granularity"
    case cycleScheme = "scheme"
    case cycleRecovery = "recovery"
    case cycleGrid = "grid"
    case cyclePruneMethod = "prune-method"
    case toggleMark = "mark"
    case applyToMarked = "apply-to-marked"
    case undo
    case redo
    // Analyse
    case sweep
    case autoSearch = "auto-search"
    case heatmap
    case heatmapSet = "heatmap-set"
    case paretoView = "pareto"
    case logScale = "log-scale"
    case cancel
    // Files and view
    case openConfig = "open"
    case export
    case cycleTheme = "theme"
    case help
    case quit
}

/// Groups of the help overlay, in display order.
public enum KeySection: String, CaseIterable, Sendable {
    case move = "Move"
    case edit = "Edit the selected layer (or every marked layer)"
    case analyse = "Analyse"
    case files = "Files and view"
}
