import LatheCore

/// The explorer's reducer: `update(&state, action)` changes the state and returns
/// the effects to run. Pure: no I/O, no clocks, no metrics — tests drive it with
/// key sequences and check states and effects.
public enum Explorer {
    /// Effects to run once at start: evaluate the starting plan, analyse the first layer.
    public static func initialEffects(_ state: inout AppState) -> [Effect] {
        if let note = loadNotesMessage(state.loadNotes) { state.message = note }
        return [.applyPlan(state.plan, revision: state.planRevision)] + requestAnalysis(&state)
    }

    /// The message line for what loading printed: its first warning or note (the metric line is in
    /// the header already), and how many more the help overlay lists.
    static func loadNotesMessage(_ notes: [String]) -> AppState.Message? {
        let shown = notes.filter { !$0.hasPrefix("metric: ") }
        guard let first = shown.first else { return nil }
        let more = shown.count > 1 ? " (+\(shown.count - 1) more: ? lists them)" : ""
        return .init(first + more, first.hasPrefix("warning: ") ? .warning : .info)
    }

    public static func update(_ state: inout AppState, _ action: Action) -> [Effect] {
        var effects: [Effect]
        switch action {
        case .key(let key):
            effects = handleKey(&state, key)
        case .mouse(let mouse):
            effects = handleMouse(&state, mouse)
        case .resize(let size):
            state.size = size
            keepSelectionVisible(&state)
            if case .help(let scroll) = state.overlay { state.overlay = .help(scroll: max(0, scroll)) }
            effects = []
        case .tick:
            state.ticks &+= 1
            effects = []
        case .engine(let status):
            effects = receiveEngine(&state, status)
        case .sensitivity(let data):
            state.sensitivity = data
            keepHeatmapInRange(&state)
            effects = []
        case .searchFinished(let plan, let summary, let front):
            effects = []
            if state.searchPending {
                state.searchPending = false
                if let front { state.paretoFront = front }
                let more = front.map { " — F: its front of \($0.points.count) points" } ?? ""
                if plan != state.plan {
                    effects = change(&state, to: plan)
                    state.message = .init("search: \(summary) — u undoes" + more)
                } else {
                    state.message = .init("search: \(summary) — the current plan already is the answer" + more)
                }
            }
        case .layerAnalysis(let name, let analysis):
            state.analyses[name] = analysis
            if state.pendingAnalyses[name] == analysis.settings { state.pendingAnalyses[name] = nil }
            effects = []
        case .configOpened(let path, let plan):
            effects = plan == state.plan ? [] : change(&state, to: plan)
            state.savedPlan = plan
            state.configPath = path
            state.exportPath = path
            let changed = state.layers.filter { !plan.settings(for: $0.name).isIdentity }.count
            state.message = .init("opened \(path): \(changed) of \(state.layers.count) layers compressed")
        case .configFailed(_, let message):
            state.message = .init(message, .error)
            effects = []
        case .exported(let path, let plan):
            state.savedPlan = plan
            state.exportPath = path
            state.message = .init("exported the configuration to \(path)")
            effects = []
        case .exportFailed(_, let message):
            state.message = .init(message, .error)
            effects = []
        case .modelExportProgress(let path, let phase, let done, let total):
            let count = total > 0 ? " \(done)/\(total) samples" : ""
            state.message = .init("exporting \(path): \(phase)\(count)…")
            effects = []
        case .modelExported(let path, let plan, let summary):
            state.savedPlan = plan
            state.message = .init("exported the compressed model to \(path): \(summary)")
            effects = []
        case .effectFailed(let message):
            state.message = .init(message, .error)
            state.searchPending = false
            effects = []
        }
        return effects + requestAnalysis(&state)
    }

    // MARK: keys

    static func handleKey(_ state: inout AppState, _ key: KeyPress) -> [Effect] {
        if let (escape, plain) = gluedEscape(state, key) {
            return handleKey(&state, escape) + handleKey(&state, plain)
        }
        if state.prompt != nil { return PromptHandling.handle(&state, key) }
        let command = state.keymap.command(for: key)
        if state.layout.isTooSmall {
            // Only quitting makes sense on the "too small" screen.
            return command == .quit ? quit(&state) : []
        }
        state.message = nil
        if case .help(let scroll) = state.overlay {
            switch command {
            case .moveDown: state.overlay = .help(scroll: scroll + 1)
            case .moveUp: state.overlay = .help(scroll: max(0, scroll - 1))
            case .pageDown: state.overlay = .help(scroll: scroll + max(1, state.layout.body.height - 2))
            case .pageUp: state.overlay = .help(scroll: max(0, scroll - max(1, state.layout.body.height - 2)))
            case .cancel, .help, .quit: state.overlay = nil
            default: break
            }
            return []
        }
        if case .heatmap(let column) = state.overlay, let handled = Heatmap.handle(&state, command, column: column) {
            return handled
        }
        if case .pareto(let point) = state.overlay,
           let handled = ParetoNavigation.handle(&state, command, point: point) {
            return handled
        }
        guard let command else { return [] }
        return perform(&state, command)
    }

    /// Terminals send Alt-x as Esc x, so Esc typed quickly before a key arrives as that key with
    /// Alt: "Esc Esc Esc q" in one burst came in as Esc, Esc, Alt-q, and the q that should have
    /// quit was lost. An Alt key nothing binds here (prompts bind none; the keymap may) is therefore
    /// the Esc and the key it was glued to, handled in turn.
    static func gluedEscape(_ state: AppState, _ key: KeyPress) -> (KeyPress, KeyPress)? {
        guard key.modifiers.contains(.alt) else { return nil }
        if state.prompt == nil, state.keymap.command(for: key) != nil { return nil }
        var plain = key
        plain.modifiers.remove(.alt)
        return (KeyPress(.escape), plain)
    }

    static func perform(_ state: inout AppState, _ command: Command) -> [Effect] {
        switch command {
        case .moveUp, .moveDown:
            let step = command == .moveUp ? -1 : 1
            if state.focus == .detail {
                state.detailScroll = min(max(0, state.detailScroll + step), 60)
            } else {
                moveSelection(&state, byRows: step)
            }
        case .pageUp, .pageDown:
            let page = max(1, state.layout.visibleRows - 1) * (command == .pageUp ? -1 : 1)
            if state.focus == .detail {
                state.detailScroll = min(max(0, state.detailScroll + page), 60)
            } else {
                moveSelection(&state, byRows: page)
            }
        case .first: selectRow(&state, 0)
        case .last: selectRow(&state, state.layers.count - 1)
        case .nextPane, .previousPane:
            state.focus = state.focus == .layers ? .detail : .layers
        case .focusDetail:
            state.focus = .detail
        case .search:
            state.prompt = PromptState(kind: .layerSearch(previousSelection: state.selected))
        case .nextMatch, .previousMatch:
            guard !state.searchQuery.isEmpty else {
                state.message = .init("no search yet: press / to search layer names")
                return []
            }
            if !jumpToMatch(&state, query: state.searchQuery, forward: command == .nextMatch, includeCurrent: false) {
                state.message = .init("no layer matches '\(state.searchQuery)'", .warning)
            }
        case .sort:
            let all = AppState.SortOrder.allCases
            state.sort = all[((all.firstIndex(of: state.sort) ?? 0) + 1) % all.count]
            keepSelectionVisible(&state)
            var text = "sorted by \(state.sort.rawValue)"
            if state.sort == .sensitivity, state.sensitivity == nil { text += " (no sweep yet: press s)" }
            state.message = .init(text)
        case .fewerBits, .moreBits, .pruneLess, .pruneMore, .cycleStructure, .cycleClusters, .cycleGranularity,
             .cycleScheme, .cycleRecovery, .cycleGrid, .cyclePruneMethod:
            guard let settingsEdit = SettingsEdit(command) else { return [] }
            return edit(&state, settingsEdit)
        case .toggleMark:
            guard let layer = state.selectedLayer else { return [] }
            if state.marks.remove(layer.name) == nil { state.marks.insert(layer.name) }
            moveSelection(&state, byRows: 1)
        case .applyToMarked:
            return applyToMarked(&state)
        case .undo:
            guard let previous = state.history.undo(from: state.plan) else {
                state.message = .init("nothing to undo")
                return []
            }
            return setPlan(&state, previous, note: "undone")
        case .redo:
            guard let next = state.history.redo(from: state.plan) else {
                state.message = .init("nothing to redo")
                return []
            }
            return setPlan(&state, next, note: "redone")
        case .sweep:
            if let job = state.runningJob {
                state.message = .init("a \(job.kind.rawValue) is running (Esc cancels it)", .warning)
                return []
            }
            state.message = .init("sensitivity sweep started (Esc cancels)")
            return [.startSweep]
        case .autoSearch:
            if let job = state.runningJob {
                state.message = .init("a \(job.kind.rawValue) is running (Esc cancels it)", .warning)
                return []
            }
            state.prompt = PromptState(kind: .searchBudget, text: "1%")
        case .heatmap:
            guard let sensitivity = state.sensitivity, !sensitivity.levels.isEmpty else {
                state.message = .init("no sensitivity yet: press s to sweep", .warning)
                return []
            }
            state.overlay = .heatmap(column: Heatmap.column(matching: state, in: sensitivity))
        case .heatmapSet:
            Heatmap.cycleSet(&state)
        case .paretoView:
            ParetoNavigation.open(&state)
        case .logScale:
            state.logScale.toggle()
            state.message = .init("histogram counts on a \(state.logScale ? "log" : "linear") scale")
        case .cancel:
            if state.overlay != nil {
                state.overlay = nil
            } else if state.focus == .detail {
                state.focus = .layers
            } else if let job = state.runningJob {
                state.message = .init("cancelling the \(job.kind.rawValue)…")
                state.searchPending = false
                return [.cancelJob]
            } else if !state.marks.isEmpty {
                state.marks.removeAll()
                state.message = .init("marks cleared")
            }
        case .openConfig:
            state.prompt = PromptState(kind: .openConfig, text: state.configPath ?? "")
        case .export:
            state.prompt = PromptState(kind: .export, text: state.exportPath)
        case .cycleTheme:
            state.themeIndex = (state.themeIndex + 1) % state.themeNames.count
            state.message = .init("theme \(state.themeName)")
        case .help:
            state.overlay = .help(scroll: 0)
        case .quit:
            return quit(&state)
        }
        return []
    }

    static func quit(_ state: inout AppState) -> [Effect] {
        if state.isDirty {
            state.prompt = PromptState(kind: .confirmQuit)
            return []
        }
        state.shouldQuit = true
        return [.quit]
    }

    // MARK: plan changes

    /// Applies a settings edit to every target layer; refuses (with the reason) when none changes.
    static func edit(_ state: inout AppState, _ edit: SettingsEdit) -> [Effect] {
        var plan = state.plan
        var notes: [String] = []
        var refusal: String?
        var changed = 0
        for index in state.editTargets {
            let name = state.layers[index].name
            switch edit.apply(to: plan.settings(for: name), layer: state.layers[index].layer) {
            case .changed(let settings, _) where state.layers[index].layer.flatMap(settings.problem(for:)) != nil:
                let problem = state.layers[index].layer.flatMap(settings.problem(for:))
                refusal = refusal ?? problem.map { "\($0.key): \($0.message)" }
            case .changed(let settings, let note):
                plan.set(settings, for: name)
                changed += 1
                if let note, !notes.contains(note) { notes.append(note) }
            case .refused(let reason):
                refusal = refusal ?? reason
            }
        }
        guard changed > 0 else {
            state.message = .init(refusal ?? "nothing to change", .warning)
            return []
        }
        let effects = change(&state, to: plan)
        var text = notes.joined(separator: "; ")
        if !state.marks.isEmpty {
            text = "\(changed) marked layer\(changed == 1 ? "" : "s") changed" + (text.isEmpty ? "" : "; " + text)
        }
        if !text.isEmpty { state.message = .init(text, notes.isEmpty ? .info : .warning) }
        return effects
    }

    static func applyToMarked(_ state: inout AppState) -> [Effect] {
        guard let source = state.selectedLayer else { return [] }
        let settings = state.plan.settings(for: source.name)
        let targets = state.marks.isEmpty ? state.layers.map(\.name) : state.layers.map(\.name).filter {
            state.marks.contains($0)
        }
        var plan = state.plan
        for name in targets { plan.set(settings, for: name) }
        guard plan != state.plan else {
            state.message = .init("every \(state.marks.isEmpty ? "" : "marked ")layer already has these settings")
            return []
        }
        let effects = change(&state, to: plan)
        state.message = .init("\(Format.settings(settings)) applied to \(targets.count) "
            + (state.marks.isEmpty ? "layers (all)" : "marked layer\(targets.count == 1 ? "" : "s")"))
        return effects
    }

    /// A new plan the user made: recorded for undo, then evaluated.
    static func change(_ state: inout AppState, to plan: CompressionPlan) -> [Effect] {
        state.history.record(state.plan)
        return setPlan(&state, plan, note: nil)
    }

    static func setPlan(_ state: inout AppState, _ plan: CompressionPlan, note: String?) -> [Effect] {
        state.plan = plan
        state.planRevision += 1
        if let note { state.message = .init(note) }
        return [.applyPlan(plan, revision: state.planRevision)]
    }

    // MARK: engine reports

    /// New sweep results may have fewer levels or sets than the heatmap was showing (a new sweep
    /// starting over): its cursor and view stay on what exists, and it closes when nothing does.
    static func keepHeatmapInRange(_ state: inout AppState) {
        let levels = state.sensitivity?.levels.count ?? 0
        if case .heatmap(let column) = state.overlay {
            state.overlay = levels == 0 ? nil : .heatmap(column: min(max(0, column), levels - 1))
        }
        if let set = state.heatmapSet, !(state.sensitivity?.setNames.indices.contains(set) ?? false) {
            state.heatmapSet = nil
        }
    }

    static func receiveEngine(_ state: inout AppState, _ status: EngineStatus) -> [Effect] {
        if let current = state.engine, status.revision < current.revision { return [] }
        let before = state.engine?.job
        state.engine = status
        // A job ends once per id. Reports are coalesced, so a short job (a sweep of a tiny model)
        // can be seen for the first time already ended: that is its end too.
        if let job = status.job, !job.isRunning, before?.id != job.id || before?.isRunning == true {
            switch job.state {
            case .finished:
                if job.kind == .sweep {
                    state.message = .init("sensitivity sweep finished: H shows the heatmap, S sorts by it")
                }
            case .cancelled:
                state.message = .init("\(job.kind.rawValue) cancelled")
                if job.kind == .search { state.searchPending = false }
            case .failed(let reason):
                state.message = .init("\(job.kind.rawValue) failed: \(reason)", .error)
                if job.kind == .search { state.searchPending = false }
            case .running: break
            }
        }
        return []
    }

    /// Asks for the selected layer's histogram marks when they are missing or stale.
    static func requestAnalysis(_ state: inout AppState) -> [Effect] {
        guard let layer = state.selectedLayer else { return [] }
        let settings = state.plan.settings(for: layer.name)
        if state.analyses[layer.name]?.settings == settings || state.pendingAnalyses[layer.name] == settings {
            return []
        }
        state.pendingAnalyses[layer.name] = settings
        return [.analyzeLayer(name: layer.name, settings: settings)]
    }

    // MARK: selection

    static func moveSelection(_ state: inout AppState, byRows delta: Int) {
        selectRow(&state, state.selectedRow + delta)
    }

    static func selectRow(_ state: inout AppState, _ row: Int) {
        let order = state.rowOrder
        guard !order.isEmpty else { return }
        state.selected = order[min(max(0, row), order.count - 1)]
        state.detailScroll = 0
        keepSelectionVisible(&state)
    }

    static func keepSelectionVisible(_ state: inout AppState) {
        state.tableScroll = ExplorerLayout.scroll(state.tableScroll, keeping: state.selectedRow,
                                                  visible: state.layout.visibleRows, count: state.layers.count)
    }

    /// Selects the next (or previous) layer whose name contains `query` (ignoring case),
    /// starting at the selection; false when none matches.
    @discardableResult
    static func jumpToMatch(_ state: inout AppState, query: String, forward: Bool, includeCurrent: Bool,
                            from start: Int? = nil) -> Bool {
        let order = state.rowOrder
        guard !order.isEmpty, !query.isEmpty else { return false }
        let needle = query.lowercased()
        let origin = order.firstIndex(of: start ?? state.selected) ?? 0
        for step in (includeCurrent ? 0 : 1)...order.count {
            let row = ((origin + (forward ? step : -step)) % order.count + order.count) % order.count
            if state.layers[order[row]].name.lowercased().contains(needle) {
                selectRow(&state, row)
                return true
            }
        }
        return false
    }

    // MARK: mouse

    static func handleMouse(_ state: inout AppState, _ mouse: MouseEvent) -> [Effect] {
        guard state.prompt == nil, !state.layout.isTooSmall else { return [] }
        let layout = state.layout
        let p = mouse.position
        if case .help(let scroll) = state.overlay {
            switch mouse.action {
            case .wheelDown: state.overlay = .help(scroll: scroll + 3)
            case .wheelUp: state.overlay = .help(scroll: max(0, scroll - 3))
            default: break
            }
            return []
        }
        if case .heatmap = state.overlay { return Heatmap.handleMouse(&state, mouse) }
        if case .pareto = state.overlay { return [] }
        switch mouse.action {
        case .press(.left):
            if layout.tableBody.contains(p) {
                let row = state.tableScroll + (p.y - layout.tableBody.y)
                if row < state.layers.count {
                    state.focus = .layers
                    selectRow(&state, row)
                }
            } else if layout.detail.contains(p) {
                state.focus = .detail
            } else if layout.table.contains(p) {
                state.focus = .layers
            }
        case .wheelUp, .wheelDown:
            let delta = mouse.action == .wheelUp ? -3 : 3
            if layout.detail.contains(p) {
                state.detailScroll = min(max(0, state.detailScroll + delta), 60)
            } else {
                let maxScroll = max(0, state.layers.count - layout.visibleRows)
                state.tableScroll = min(max(0, state.tableScroll + delta), maxScroll)
            }
        default: break
        }
        return []
    }
}
