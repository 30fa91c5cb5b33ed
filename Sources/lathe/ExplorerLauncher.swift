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
        let (modelPath, dataPath) = bundled ? try ExplorerSample.paths() : (command.model ?? "", command.data ?? "")
        try InputFiles.checkReadable(modelPath, what: "model")
        try InputFiles.checkReadable(dataPath, what: "data")
        if let config = command.config { try InputFiles.checkReadable(config, what: "config") }
        if let reason = CursesBackend.unavailabilityReason(environment: environment, stdinIsTTY: isatty(0) == 1,
                                                           stdoutIsTTY: isatty(1) == 1) {
            throw LatheError.badInput(CursesBackend.unavailableMessage(reason))
        }
        let loaded = try EngineCommandSupport.load(model: modelPath, data: dataPath, output: command.scored.output,
                                                   batch: command.batching.batch, threads: command.batching.threads)
        let layers = loaded.session.layers
        var plan = CompressionPlan.identity(layers: layers)
        if let config = command.config {
            plan = try CompressionConfig.read(path: config).plan(for: layers)
        }

        let session = SessionInfo(
            modelPath: modelPath, modelName: bundled ? "bundled sample: mobilenet/model.onnx" : Self.shortName(modelPath),
            dataPath: dataPath, dataName: bundled ? "data.npz" : Self.shortName(dataPath),
            samples: loaded.dataset.count, labelled: loaded.dataset.labels != nil, output: loaded.session.outputName,
            isBundledSample: bundled)
        var state = AppState(
            session: session, layers: Self.layerInfos(loaded.session), plan: plan, keymap: keymap,
            themeNames: themes.names, themeIndex: 0,
            exportPath: command.config ?? Self.defaultExportPath(model: modelPath, bundled: bundled),
            configPath: command.config)
        let initialEffects = Explorer.initialEffects(&state)

        let backend = CursesBackend(theme: themes.byName[themes.names[0]] ?? .defaultTheme)
        let glyphs = GlyphSet.forCurrentLocale()
        let holder = RunnerHolder()
        let loop = TerminalRunLoop<AppState, ExplorerMessage, Effect>(
            backend: backend, initialState: state,
            update: { state, event in holder.runner?.update(&state, event) ?? [] },
            render: { state, buffer in ExplorerView.render(state, into: &buffer, glyphs: glyphs) },
            perform: { effect, _ in holder.runner?.perform(effect) },
            theme: { themes.byName[$0.themeName] ?? .defaultTheme },
            isBusy: { $0.isBusy },
            shouldQuit: { $0.shouldQuit })
        let mailbox = loop.mailbox
        let live = LiveSession(evaluator: loaded.evaluator) { mailbox.post(.engineUpdated, slot: "engine") }
        holder.runner = ExplorerEffectRunner(
            live: live, mailbox: mailbox, session: session, weights: loaded.session.weights, layers: layers,
            modelHash: loaded.modelHash, dataHash: loaded.dataHash)
        defer { live.close() }
        try loop.run(initialEffects: initialEffects)
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

    /// Layers as the explorer lists them, with LatheCore's statistics and histogram of the
    /// deployed (BatchNorm-folded) weights.
    static func layerInfos(_ session: InferenceSession) -> [LayerInfo] {
        session.layers.map { layer in
            let weight = session.weights[layer.name]
            let values = weight?.asFloats ?? []
            // Roughly 4 weights per bin, between 16 and 128 bins, so small layers are not all gaps.
            let bins = min(128, max(16, values.count / 4))
            return LayerInfo(name: layer.name, op: layer.op.rawValue, shape: layer.shape, params: layer.params,
                             stats: WeightStats(values), histogram: Histogram(values, bins: bins),
                             baselineBytes: SizeModel.baselineBytes(of: layer, dtype: weight?.dtype ?? .float32))
        }
    }

    /// "…/mobilenet/model.onnx" → "mobilenet/model.onnx".
    static func shortName(_ path: String) -> String {
        let parts = path.split(separator: "/")
        return parts.suffix(2).joined(separator: "/")
    }

    /// "<name>.lathe.yaml" in the current directory, the name being the model file's, or its
    /// directory's when the file is the generic "model.onnx".
    static func defaultExportPath(model: String, bundled: Bool) -> String {
        let url = URL(fileURLWithPath: model)
        var name = url.deletingPathExtension().lastPathComponent
        if bundled || name == "model" {
            let parent = url.deletingLastPathComponent().lastPathComponent
            name = bundled || parent.isEmpty || parent == "." ? "mobilenet" : parent
        }
        return name + ".lathe.yaml"
    }
}

/// Messages other threads leave for the UI thread.
enum ExplorerMessage: Sendable {
    /// The result of an effect, for the reducer.
    case action(Action)
    /// The live session has a newer snapshot (read on the UI thread, newest wins).
    case engineUpdated
}

/// The runner is made after the loop (it needs the loop's mailbox); the loop's closures
/// reach it through this box. Used on the UI thread only.
final class RunnerHolder {
    var runner: ExplorerEffectRunner?
}
