import LatheCore

/// Everything that can happen to the explorer.
public enum Action: Sendable {
    case key(KeyPress)
    case mouse(MouseEvent)
    case resize(TerminalSize)
    /// About ten per second while busy (the spinner).
    case tick
    /// The engine's latest numbers.
    case engine(EngineStatus)
    /// Sweep results so far.
    case sensitivity(SensitivityData)
    /// The automatic search's answer: its plan and a one-line summary.
    case searchFinished(plan: CompressionPlan, summary: String, front: ParetoData?)
    case layerAnalysis(name: String, analysis: LayerAnalysis)
    /// Results of prompts' effects.
    case configOpened(path: String, plan: CompressionPlan)
    case configFailed(path: String, message: String)
    /// The configuration of `plan` was written to `path`.
    case exported(path: String, plan: CompressionPlan)
    case exportFailed(path: String, message: String)
    /// A compressed-model export (a path ending in .onnx) moved on: "building", "verifying" with samples.
    case modelExportProgress(path: String, phase: String, done: Int, total: Int)
    /// The compressed model of `plan` was written to `path` and verified; `summary` says how.
    case modelExported(path: String, plan: CompressionPlan, summary: String)
    /// An effect could not start (a search request LatheCore refused, …).
    case effectFailed(String)
}

extension Action {
    /// The action for a terminal input event; nil for wake-ups, which the run loop
    /// turns into the mailbox's actions itself.
    public init?(_ event: TerminalEvent) {
        switch event {
        case .key(let key): self = .key(key)
        case .mouse(let mouse): self = .mouse(mouse)
        case .resize(let size): self = .resize(size)
        case .wake: return nil
        }
    }
}

/// Work the reducer asks the outside world to do; results come back as actions.
public enum Effect: Sendable, Equatable {
    /// Evaluate `plan` (size at once, accuracy streaming); reports carry `revision`.
    case applyPlan(CompressionPlan, revision: Int)
    /// Sensitivity sweep: every layer alone at each level, the others uncompressed.
    case startSweep
    case startSearch(SearchConstraint)
    case cancelJob
    /// Write the v1 configuration of `plan` to `path` with `metrics` as comments.
    case exportConfig(path: String, plan: CompressionPlan, metrics: [ExportMetric])
    /// Write the compressed model of `plan` to `path` (QDQ ONNX), verified before it replaces anything.
    case exportModel(path: String, plan: CompressionPlan)
    case openConfig(path: String)
    /// Compute the histogram marks of a layer under `settings`.
    case analyzeLayer(name: String, settings: LayerSettings)
    case quit
}

/// A measured number written as a comment into an exported configuration.
public struct ExportMetric: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
