import LatheCore

/// Keys while a prompt is open: readline editing, Enter submits, Esc cancels.
enum PromptHandling {
    static func handle(_ state: inout AppState, _ key: KeyPress) -> [Effect] {
        guard var prompt = state.prompt else { return [] }
        if prompt.kind == .confirmQuit {
            switch key.key {
            case .character("y"), .character("Y"):
                state.prompt = nil
                state.shouldQuit = true
                return [.quit]
            case .character("n"), .character("N"), .escape:
                state.prompt = nil
                state.message = .init("not quitting; e exports the configuration")
            default: break
            }
            return []
        }
        switch key.key {
        case .escape:
            state.prompt = nil
            if case .layerSearch(let previous) = prompt.kind {
                state.selected = previous
                Explorer.keepSelectionVisible(&state)
            }
            return []
        case .enter:
            return submit(&state, prompt)
        default:
            guard prompt.editor.handle(key) else { return [] }
            prompt.error = nil
            state.prompt = prompt
            if case .layerSearch(let previous) = prompt.kind {
                // Incremental: the first match from where the search started.
                let query = prompt.editor.text
                if query.isEmpty || !Explorer.jumpToMatch(&state, query: query, forward: true, includeCurrent: true,
                                                          from: previous) {
                    if !query.isEmpty { state.prompt?.error = "no match" }
                }
            }
            return []
        }
    }

    static func submit(_ state: inout AppState, _ prompt: PromptState) -> [Effect] {
        let text = prompt.editor.text.trimmingCharacters(in: .whitespaces)
        switch prompt.kind {
        case .export:
            guard !text.isEmpty else { return reject(&state, "type a path to write to") }
            state.prompt = nil
            if text.lowercased().hasSuffix(".onnx") {
                state.message = .init("exporting the compressed model to \(text)…")
                return [.exportModel(path: text, plan: state.plan)]
            }
            state.message = .init("writing \(text)…")
            return [.exportConfig(path: text, plan: state.plan, metrics: exportMetrics(state))]
        case .openConfig:
            guard !text.isEmpty else { return reject(&state, "type the path of a configuration file") }
            state.prompt = nil
            state.message = .init("opening \(text)…")
            return [.openConfig(path: text)]
        case .searchBudget:
            switch SearchConstraint.parse(text, metric: state.session.metric) {
            case .failure(let error):
                return reject(&state, error.message)
            case .success(let budget):
                state.prompt = nil
                state.searchPending = true
                state.message = .init("automatic search for \(budget.budgetText) started (Esc cancels)")
                return [.startSearch(budget)]
            }
        case .layerSearch:
            state.prompt = nil
            state.searchQuery = text
            return []
        case .confirmQuit:
            return []
        }
    }

    private static func reject(_ state: inout AppState, _ message: String) -> [Effect] {
        state.prompt?.error = message
        return []
    }

    /// The numbers the status bar shows, for the exported file's comments (named as
    /// `lathe search --out` names them: `ScoreMetric.reportKey`, fp32_…, size_bytes, …).
    static func exportMetrics(_ state: AppState) -> [ExportMetric] {
        var metrics: [ExportMetric] = []
        let metric = state.session.metric
        let key = metric.reportKey
        if let engine = state.currentEngine {
            if let value = engine.value, engine.isFinal {
                metrics.append(ExportMetric(key, metric.reportText(value)))
                if let baseline = engine.baselineValue {
                    metrics.append(ExportMetric("fp32_" + key, metric.reportText(baseline)))
                }
            } else if let error = engine.error {
                metrics.append(ExportMetric(key, "not measured (\(error))"))
            } else {
                metrics.append(ExportMetric(key, "not final (\(engine.samplesDone)/\(engine.samplesTotal) samples)"))
            }
            // Several sets: each one's final numbers too (the unprefixed ones are the first set's).
            for set in engine.sets {
                guard set.isFinal, let value = set.value else { continue }
                metrics.append(ExportMetric("\(set.name)_\(key)", metric.reportText(value)))
                if let baseline = set.baselineValue {
                    metrics.append(ExportMetric("\(set.name)_fp32_\(key)", metric.reportText(baseline)))
                }
            }
            metrics.append(ExportMetric("size_bytes", String(engine.sizeBytes)))
            metrics.append(ExportMetric("compression_ratio", String(format: "%.2f", engine.compressionRatio)))
        } else {
            metrics.append(ExportMetric(key, "not measured yet"))
        }
        metrics.append(ExportMetric("samples", String(state.session.samples)))
        return metrics
    }
}
