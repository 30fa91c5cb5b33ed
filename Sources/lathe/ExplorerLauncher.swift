import Foundation
import Glibc
import LatheCore
import LatheUI

/// Loads what the explorer needs, builds its first state and runs the terminal loop
/// until the user quits. Everything that can fail on bad input fails before the
/// terminal is taken over, so errors print as usual.
struct ExplorerLauncher {
    var command: ExplorerCommand

    func run() throws {
        // Problems with the user's files first (they are what to fix), then the terminal,
        // then the slow part.
        let environment = ProcessInfo.processInfo.environment
        let themes = try loadThemes()
        let keymap = try loadKeymap(environment: environment)
        let bundled = command.model == nil
        let (modelPath, dataFiles) = bundled ? try ExplorerSample.paths() : (command.model ?? "", command.data)
        let dataSets = try NamedDataFile.parse(dataFiles)
        let dataPath = dataSets.first?.path ?? ""
        try InputFiles.checkReadable(modelPath, what: "model")
        for set in dataSets { try InputFiles.checkReadable(set.path, what: "data") }
        if let config = command.config { try InputFiles.checkReadable(config, what: "config") }
        if let reason = CursesBackend.unavailabilityReason(environment: environment, stdinIsTTY: isatty(0) == 1,
                                                           stdoutIsTTY: isatty(1) == 1) {
            throw LatheError.badInput(CursesBackend.unavailableMessage(reason))
        }
        if !bundled, WeightCheckpoint.format(of: modelPath) != nil {
            try runCheckpoint(path: modelPath, themes: themes, keymap: keymap)
            return
        }
        // What loading prints on stderr is kept too: the explorer shows it once it has the screen.
        let notes = StderrNotes()
        let loaded = try StderrNotes.$current.withValue(notes) {
            try EngineCommandSupport.load(model: modelPath, sets: dataSets, scored: command.scored,
                                          batch: command.batching.batch, threads: command.batching.threads)
        }
        let layers = loaded.session.layers
        var plan = CompressionPlan.identity(layers: layers)
        if let config = command.config {
            plan = try CompressionConfig.read(path: config).plan(for: layers)
        }

        let session = SessionInfo(
            modelPath: modelPath, modelName: bundled ? "bundled sample: mobilenet/model.onnx" : Self.shortName(modelPath),
            dataPath: dataPath,
            dataName: bundled ? "data.npz" : dataSets.count > 1 ? dataSets.map(\.name).joined(separator: " + ")
                : Self.shortName(dataPath),
            samples: loaded.sets.reduce(0) { $0 + $1.evaluator.feedData.count },
            labelled: loaded.dataset.labelArray != nil,
            metric: loaded.evaluator.scoring.metric, metricReason: loaded.evaluator.scoring.reason,
            output: loaded.session.outputName,
            isBundledSample: bundled)
        var state = AppState(
            session: session, layers: LayerInfo.all(in: loaded.session), plan: plan, keymap: keymap,
            themeNames: themes.names, themeIndex: 0,
            exportPath: command.config ?? ConfigFiles.defaultExportPath(model: modelPath, bundled: bundled),
            configPath: command.config)
        state.loadNotes = notes.lines
        let initialEffects = Explorer.initialEffects(&state)

        try runLoop(state, initialEffects: initialEffects, themes: themes) { mailbox in
            let bridge = EngineBridge(sets: loaded.sets, mailbox: mailbox, source: .init(
                session: session, modelHash: loaded.modelHash, dataHash: loaded.dataHash))
            return (bridge.perform, bridge.shutDown)
        }
    }

    /// The explorer's terminal loop from `state`; `bridge` performs its effects, given the loop's mailbox, and
    /// is shut down when the loop ends (its work cancelled, files being written finished).
    private func runLoop(_ state: AppState, initialEffects: [Effect], themes: (names: [String], byName: [String: Theme]),
                         bridge makeBridge: (UIMailbox<Action>) -> (perform: (Effect) -> Void,
                                                                    shutDown: () -> Void)) throws {
        let backend = CursesBackend(theme: themes.byName[themes.names[0]] ?? .defaultTheme)
        let glyphs = GlyphSet.forCurrentLocale()
        let mailbox = UIMailbox<Action>(wakeSignal: backend.wakeSignal)
        let bridge = makeBridge(mailbox)
        let loop = TerminalRunLoop<AppState, Action, Effect>(
            backend: backend, mailbox: mailbox, initialState: state, action: Action.init, tick: .tick,
            update: Explorer.update,
            render: { state, buffer in ExplorerView.render(state, into: &buffer, glyphs: glyphs) },
            perform: bridge.perform,
            theme: { themes.byName[$0.themeName] ?? .defaultTheme },
            isBusy: { $0.isBusy },
            shouldQuit: { $0.shouldQuit })
        defer { bridge.shutDown() }
        try loop.run(initialEffects: initialEffects)
    }

    /// A weights-only checkpoint: layers from the file, size and data-free SQNR from
    /// `CheckpointBridge` in place of the live engine.
    func runCheckpoint(path: String, themes: (names: [String], byName: [String: Theme]), keymap: Keymap) throws {
        let checkpoint = try WeightCheckpoint.open(path: path)
        let evaluator = CheckpointEvaluator(checkpoint: checkpoint)
        guard !evaluator.layers.isEmpty else {
            throw LatheError.badInput(file: path, "has no layers to compress (no float tensor of rank ≥ 2)")
        }
        var plan = CompressionPlan.identity(layers: evaluator.layers)
        if let config = command.config {
            plan = try CompressionConfig.read(path: config).plan(for: evaluator.layers)
        }
        let session = SessionInfo(
            modelPath: path, modelName: Self.shortName(path), dataPath: "",
            dataName: "no data (\(checkpoint.format.displayName) weights only)", samples: 0, labelled: false,
            metric: .sqnr, metricReason: CheckpointBridge.metricReason, output: "")
        var state = AppState(
            session: session, layers: LayerInfo.all(in: evaluator), plan: plan, keymap: keymap,
            themeNames: themes.names, themeIndex: 0,
            exportPath: command.config ?? ConfigFiles.defaultExportPath(model: path, bundled: false),
            configPath: command.config)
        let initialEffects = Explorer.initialEffects(&state)
        try runLoop(state, initialEffects: initialEffects, themes: themes) { mailbox in
            let bridge = CheckpointBridge(evaluator: evaluator, mailbox: mailbox, session: session)
            return (bridge.perform, bridge.shutDown)
        }
    }

    /// The theme named by --theme first, then the bundled ones in `t` order.
    func loadThemes() throws -> (names: [String], byName: [String: Theme]) {
        let first = try Theme.load(nameOrPath: command.theme)
        var byName: [String: Theme] = [:]
        var names: [String] = []
        // A theme file is listed under its own name, or its path if that name is a bundled one.
        let firstName = Theme.bundledNames.contains(command.theme) || Theme.bundledNames.contains(first.name)
            ? command.theme : first.name
        names.append(firstName)
        byName[firstName] = first
        for name in Theme.bundledNames where byName[name] == nil {
            if let theme = try? Theme.load(nameOrPath: name) {
                names.append(name)
                byName[name] = theme
            }
        }
        return (names, byName)
    }

    func loadKeymap(environment: [String: String]) throws -> Keymap {
        if let path = command.keys {
            try InputFiles.checkReadable(path, what: "keys")
            return try KeymapFile.load(path: path)
        }
        if let path = KeymapFile.defaultPath(environment: environment), FileManager.default.fileExists(atPath: path) {
            return try KeymapFile.load(path: path)
        }
        return .standard
    }

    /// "…/mobilenet/model.onnx" → "mobilenet/model.onnx".
    static func shortName(_ path: String) -> String {
        let parts = path.split(separator: "/")
        return parts.suffix(2).joined(separator: "/")
    }
}
