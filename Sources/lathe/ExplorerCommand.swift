import ArgumentParser
import Foundation
import LatheCore
import LatheUI

/// `lathe MODEL --data D` and bare `lathe`: the terminal explorer (the root
/// command's default subcommand, so `lathe explore …` works too).
struct ExplorerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Open the terminal explorer (the default: `lathe MODEL --data FILE`, or bare `lathe` for the bundled sample).",
        discussion: """
            Inspect each weight layer, change its compression from the keyboard and watch accuracy \
            and size update live; e exports the configuration (v1) for `lathe eval --config`. \
            Press ? inside for every key. Keys can be rebound in ~/.config/lathe/keys.yaml (or \
            $XDG_CONFIG_HOME/lathe/keys.yaml, or --keys FILE): a YAML mapping of command names \
            (shown in the help overlay) to a key or a list of keys, e.g. `quit: Q` or \
            `more-bits: [Right, l, "+"]`; keys are a character, or Up, Down, Left, Right, PgUp, PgDn, Home, \
            End, Tab, Shift-Tab, Enter, Backspace, Esc, Space, F1-F12, with Ctrl- or Alt- before them. \
            A weights-only checkpoint (.safetensors, model.safetensors.index.json, .gguf) opens without \
            --data: the same table, histograms and editing, with size and the data-free error \
            (param-weighted SQNR of the compressed weights) in the status bar. \
            Needs a terminal; without one use `lathe eval` or `lathe inspect`.
            """
    )

    @Argument(help: "The model (.onnx), or a weights-only checkpoint (.safetensors, .gguf). Without it the bundled sample (MobileNet on MNIST digits) opens.")
    var model: String?

    @Option(help: ArgumentHelp(DataSetsHelp.text + " Required with a model.", valueName: "[NAME=]FILE"))
    var data: [String] = []

    @Option(help: "Start from this configuration file (v1 YAML or JSON) instead of float32 everywhere.")
    var config: String?

    @Option(help: "Colour theme: default, light, high-contrast, mono, or the path of a theme .yaml file.")
    var theme: String = "default"

    @OptionGroup var scored: ScoredOutputOption

    @Option(help: "Key bindings file (default: ~/.config/lathe/keys.yaml when it exists).")
    var keys: String?

    @OptionGroup var batching: BatchOptions

    func validate() throws {
        try EngineCommandSupport.validate(batch: batching.batch, threads: batching.threads)
        if let model, !FileManager.default.fileExists(atPath: model) {
            // With the explorer as the default command, a mistyped command name lands here.
            throw ValidationError("'\(model)' is neither a command (explore, eval, inspect, sensitivity, search, "
                + "bench) nor a model file")
        }
        let checkpoint = model.map { WeightCheckpoint.format(of: $0) != nil } ?? false
        if checkpoint, !data.isEmpty {
            throw ValidationError("\(model ?? "") is a weights-only checkpoint: it has no graph to run --data through; "
                + "open it without --data (the status bar then shows the data-free SQNR)")
        }
        if model != nil, data.isEmpty, !checkpoint {
            throw ValidationError("--data is required with a model: the explorer measures accuracy on it")
        }
        if model == nil, !data.isEmpty {
            throw ValidationError("--data needs a model: lathe MODEL --data FILE (bare `lathe` opens the bundled sample)")
        }
    }

    func run() throws {
        try ExplorerLauncher(command: self).run()
    }
}
