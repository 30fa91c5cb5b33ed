import LatheCore

/// Everything the explorer shows, as one value: `update` changes it, views draw it.
public struct AppState: Sendable, Equatable {
    public enum Pane: Sendable, Equatable, CaseIterable { case layers, detail }

    public enum SortOrder: String, Sendable, Equatable, CaseIterable {
        case graph = "graph order"
        case sensitivity
        case size
        case name
    }

    public enum Overlay: Sendable, Equatable {
        case help(scroll: Int)
        /// The sensitivity heatmap with the cursor on a level column (the row is the selection).
        case heatmap(column: Int)
        /// The last search's Pareto front with the cursor on a point (index into its points).
        case pareto(point: Int)
    }

    /// A line for the user after an action, until the next key.
    public struct Message: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case info, warning, error }
        public var text: String
        public var kind: Kind
        public init(_ text: String, _ kind: Kind = .info) {
            self.text = text
            self.kind = kind
        }
    }

    public var session: SessionInfo
    /// Weight layers in graph order.
    public var layers: [LayerInfo]

    /// The plan on screen; every change is pushed on `history`.
    public var plan: CompressionPlan
    public var history: PlanHistory
    /// Increments whenever `plan` changes: engine reports carry the revision they describe.
    public var planRevision: Int
    /// The plan as last exported or opened; unsaved changes when `plan` differs.
    public var savedPlan: CompressionPlan

    /// Marked layers (names); edits apply to all of them when any is marked.
    public var marks: Set<String>
    /// Index into `layers` of the selected layer.
    public var selected: Int
    /// First visible row of the table (in sorted order).
    public var tableScroll: Int
    public var detailScroll: Int
    public var focus: Pane
    public var sort: SortOrder
    /// The last layer search (for n / N).
    public var searchQuery: String
    public var prompt: PromptState?
    public var overlay: Overlay?
    public var message: Message?
    /// Histogram counts on a log scale.
    public var logScale: Bool

    /// The latest engine report (nil before the first).
    public var engine: EngineStatus?
    /// Sweep results, partial while a sweep runs.
    public var sensitivity: SensitivityData?
    /// Which evaluation set the heatmap shows (`SensitivityData.bySet`); nil: the worst over the sets.
    public var heatmapSet: Int?
    /// The last search's measured front (`F` shows it).
    public var paretoFront: ParetoData?
    /// Histogram marks of layers for their settings, by layer name.
    public var analyses: [String: LayerAnalysis]
    /// Layer analyses asked for and not yet delivered (name → settings).
    public var pendingAnalyses: [String: LayerSettings]

    public var keymap: Keymap
    /// Theme names in `t` order, and the one in use.
    public var themeNames: [String]
    public var themeIndex: Int

    /// Where `e` proposes to write.
    public var exportPath: String
    /// The configuration file opened last (`--config` or `o`).
    public var configPath: String?
    /// A search job was started and its answer not yet applied.
    public var searchPending: Bool

    /// The lines the launcher printed on stderr while loading (`warning: …`, `note: …`, `metric: …`),
    /// which the terminal hides once the explorer takes it: the first shows on the message line,
    /// all of them in the help overlay.
    public var loadNotes: [String] = []

    public var size: TerminalSize
    /// Spinner frames since start.
    public var ticks: Int
    public var shouldQuit: Bool

    public init(session: SessionInfo, layers: [LayerInfo], plan: CompressionPlan, keymap: Keymap = .standard,
                themeNames: [String] = ["default"], themeIndex: Int = 0, exportPath: String,
                configPath: String? = nil, size: TerminalSize = TerminalSize(width: 80, height: 24)) {
        self.session = session
        self.layers = layers
        self.plan = plan
        history = PlanHistory()
        planRevision = 0
        savedPlan = plan
        marks = []
        selected = 0
        tableScroll = 0
        detailScroll = 0
        focus = .layers
        sort = .graph
        searchQuery = ""
        prompt = nil
        overlay = nil
        message = nil
        logScale = false
        engine = nil
        sensitivity = nil
        analyses = [:]
        pendingAnalyses = [:]
        self.keymap = keymap
        self.themeNames = themeNames.isEmpty ? ["default"] : themeNames
        self.themeIndex = min(max(0, themeIndex), max(0, themeNames.count - 1))
        self.exportPath = exportPath
        self.configPath = configPath
        searchPending = false
        self.size = size
        ticks = 0
        shouldQuit = false
    }

    // MARK: derived values (no metrics: only what the state already holds)

    public var selectedLayer: LayerInfo? { layers.indices.contains(selected) ? layers[selected] : nil }

    public func settings(of layer: LayerInfo) -> LayerSettings { plan.settings(for: layer.name) }

    /// Whether the plan differs from what was last exported or opened.
    public var isDirty: Bool { plan != savedPlan }

    public var themeName: String { themeNames[min(max(0, themeIndex), themeNames.count - 1)] }

    /// The engine's report when it describes the plan on screen.
    public var currentEngine: EngineStatus? {
        guard let engine, engine.revision == planRevision else { return nil }
        return engine
    }

    public var runningJob: JobProgress? { engine?.job.flatMap { $0.isRunning ? $0 : nil } }

    /// Whether anything is in flight: the spinner turns while true.
    public var isBusy: Bool {
        let evaluating = currentEngine.map { $0.isStreaming } ?? true
        return evaluating || runningJob != nil || !pendingAnalyses.isEmpty
    }

    public var layout: ExplorerLayout { ExplorerLayout.compute(size: size, layerCount: layers.count) }

    /// Layer indices in table order.
    public var rowOrder: [Int] {
        let indices = Array(layers.indices)
        switch sort {
        case .graph: return indices
        case .name: return indices.sorted { (layers[$0].name, $0) < (layers[$1].name, $1) }
        case .size:
            let sizes = engine?.layerSizes ?? [:]
            func bytes(_ i: Int) -> Int { sizes[layers[i].name]?.total ?? layers[i].baselineBytes }
            return indices.sorted { (bytes($0), -$0) > (bytes($1), -$1) }
        case .sensitivity:
            func score(_ i: Int) -> Double { sensitivity?.layers[layers[i].name]?.score ?? -.infinity }
            return indices.sorted { score($0) > score($1) || (score($0) == score($1) && $0 < $1) }
        }
    }

    /// The table row of the selected layer.
    public var selectedRow: Int { rowOrder.firstIndex(of: selected) ?? 0 }

    /// The layers an edit applies to: the marked ones, or the selected one.
    public var editTargets: [Int] {
        if marks.isEmpty { return layers.indices.contains(selected) ? [selected] : [] }
        return layers.indices.filter { marks.contains(layers[$0].name) }
    }
}

/// Undo and redo over whole plans.
public struct PlanHistory: Sendable, Equatable {
    public private(set) var undoStack: [CompressionPlan] = []
    public private(set) var redoStack: [CompressionPlan] = []
    /// Oldest plans are dropped beyond this many steps.
    public static let limit = 500

    public init() {}

    /// Records `previous` before a change; a new change clears the redo stack.
    public mutating func record(_ previous: CompressionPlan) {
        undoStack.append(previous)
        if undoStack.count > Self.limit { undoStack.removeFirst(undoStack.count - Self.limit) }
        redoStack.removeAll()
    }

    /// The plan to go back to from `current`, or nil.
    public mutating func undo(from current: CompressionPlan) -> CompressionPlan? {
        guard let previous = undoStack.popLast() else { return nil }
        redoStack.append(current)
        return previous
    }

    public mutating func redo(from current: CompressionPlan) -> CompressionPlan? {
        guard let next = redoStack.popLast() else { return nil }
        undoStack.append(current)
        return next
    }
}
