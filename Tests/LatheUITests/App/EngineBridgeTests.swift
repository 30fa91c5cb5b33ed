import Foundation
import LatheCore
import Testing
@testable import LatheUI

/// The explorer ↔ engine seam against a real `LiveSession` on the digits MLP (3 layers,
/// 540 samples): effects in, actions out through the UI mailbox, tags echoed.
@Suite(.serialized) struct EngineBridgeTests {
    /// A bridge on the digits sample, its mailbox, and the explorer's first state for it.
    final class Harness {
        let mailbox = UIMailbox<Action>(wakeSignal: WakeSignal())
        let bridge: EngineBridge
        let session: InferenceSession
        var state: AppState
        let cacheDirectory: URL

        init() throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
            let model = root.appendingPathComponent("samples/digits_mlp/model.onnx").path
            let data = root.appendingPathComponent("samples/digits_mlp/data.npz").path
            let dataset = try Dataset.load(path: data)
            session = try InferenceSession(model: ONNXReader.read(path: model), sampleShape: dataset.sampleShape)
            let evaluator = try PlanEvaluator(session: session, dataset: dataset,
                                              options: EvaluatorOptions(batchSize: 64, threads: 2))
            let info = SessionInfo(modelPath: model, modelName: "digits_mlp/model.onnx", dataPath: data,
                                   dataName: "data.npz", samples: dataset.count, labelled: true,
                                   output: session.outputName)
            cacheDirectory = ExplorerFixture.temporaryDirectory
            bridge = EngineBridge(evaluator: evaluator, mailbox: mailbox,
                                  source: .init(session: info, modelHash: "model", dataHash: "data",
                                                cache: SensitivityCache(directory: cacheDirectory.path)))
            state = AppState(session: info, layers: LayerInfo.all(in: session),
                             plan: .identity(layers: session.layers), exportPath: "digits.lathe.yaml")
        }

        deinit { try? FileManager.default.removeItem(at: cacheDirectory) }

        /// Runs effects through the bridge.
        func perform(_ effects: [Effect]) { effects.forEach(bridge.perform) }

        /// Feeds the mailbox's actions to the reducer (performing their effects) until
        /// `done` holds; returns every action seen. Fails after `seconds`.
        @discardableResult
        func pump(seconds: Double = 120, until done: (AppState) -> Bool) -> [Action] {
            var seen: [Action] = []
            let deadline = Date().addingTimeInterval(seconds)
            while !done(state) {
                guard Date() < deadline else {
                    Issue.record("timed out; last engine status: \(String(describing: state.engine))")
                    break
                }
                let actions = mailbox.drain()
                if actions.isEmpty { usleep(2000) }
                for action in actions {
                    seen.append(action)
                    perform(Explorer.update(&state, action))
                }
            }
            return seen
        }

        /// Collects the mailbox's actions (without a reducer) until `done` holds for them.
        func collect(seconds: Double = 60, until done: ([Action]) -> Bool) -> [Action] {
            var seen: [Action] = []
            let deadline = Date().addingTimeInterval(seconds)
            while !done(seen) {
                guard Date() < deadline else {
                    Issue.record("timed out after \(seen.count) actions")
                    break
                }
                let actions = mailbox.drain()
                if actions.isEmpty { usleep(2000) }
                seen += actions
            }
            return seen
        }
    }

    static func statuses(_ actions: [Action]) -> [EngineStatus] {
        actions.compactMap { if case .engine(let status) = $0 { return status } else { return nil } }
    }

    @Test func aKeyPressReachesTheEngineAndItsFinalNumbersComeBackForThatRevision() throws {
        let h = try Harness()
        h.perform(Explorer.initialEffects(&h.state))
        let startup = h.pump { $0.currentEngine?.isFinal == true && !$0.isBusy }
        let first = try #require(h.state.currentEngine)
        #expect(first.revision == 0)
        #expect(first.value == h.bridge.live.latest().value)
        #expect(first.value == first.baselineValue)
        #expect(first.change == 0)

        // Three steps down the ladder on the first layer: fp16, 8, 7 bits.
        h.perform(ExplorerFixture.run(&h.state, ExplorerFixture.keys("hhh")))
        #expect(h.state.planRevision == 3)
        let edit = h.pump { $0.currentEngine?.isFinal == true && !$0.isBusy }
        let final = try #require(h.state.currentEngine)
        #expect(final.revision == 3)
        let latest = h.bridge.live.latest()
        #expect(latest.tag == 3)
        #expect(final.value == latest.value)
        #expect(final.sizeBytes == h.bridge.live.evaluator.sizeReport(h.state.plan).totalBytes)
        #expect(final.sizeBytes < first.sizeBytes)
        #expect(final.layerSizes[h.session.layers[0].name]?.total == latest.size?.layers.first?.size.total)

        // Only revisions the explorer asked for come back, never backwards; the session's own
        // untagged start never shows.
        let revisions = Self.statuses(startup + edit).map(\.revision)
        #expect(revisions == revisions.sorted())
        #expect(Set(revisions).isSubset(of: [0, 1, 2, 3]))
        // The layer's histogram marks came back as actions too.
        #expect(h.state.analyses[h.session.layers[0].name]?.settings == h.state.plan.settings(for: h.session.layers[0].name))

        var buffer = Buffer(size: TerminalSize(width: 100, height: 30))
        ExplorerView.render(h.state, into: &buffer, glyphs: .unicode)
        let shown = String(format: "top-1 %.1f%%", try #require(final.value) * 100)
        #expect(buffer.renderText().contains(shown))
    }

    @Test func aSweepsResultsArriveAsActionsAndFillTheHeatmap() throws {
        let h = try Harness()
        h.perform(Explorer.initialEffects(&h.state))
        h.perform(ExplorerFixture.run(&h.state, ExplorerFixture.keys("s")))
        h.pump { state in state.sensitivity?.isComplete == true && state.engine?.job?.state == .finished }
        let data = try #require(h.state.sensitivity)
        #expect(data.levels == EngineBridge.sweepLevels.entries)
        #expect(Set(data.layers.keys) == Set(h.session.layers.map(\.name)))
        #expect(h.state.engine?.job?.kind == .sweep)
        #expect(h.state.runningJob == nil)
    }

    @Test func aSearchAnswersWithItsPlan() throws {
        let h = try Harness()
        h.perform(Explorer.initialEffects(&h.state))
        h.pump { $0.currentEngine?.isFinal == true }
        h.perform(ExplorerFixture.run(&h.state, ExplorerFixture.keys("a{Ctrl-U}2x{Enter}")))
        #expect(h.state.searchPending)
        let actions = h.pump { !$0.searchPending }
        let found = actions.contains { if case .searchFinished = $0 { return true } else { return false } }
        #expect(found)
        #expect(h.state.message?.text.hasPrefix("search: ") == true)
        #expect(h.state.plan != .identity(layers: h.session.layers))
    }

    @Test func aSearchLatheCoreRefusesFailsAsAnAction() throws {
        let h = try Harness()
        h.bridge.perform(.startSearch(.targetSize(0)))
        let actions = h.collect { !$0.isEmpty }
        guard case .effectFailed(let message) = actions.first else {
            Issue.record("expected effectFailed, got \(actions)")
            return
        }
        #expect(message.hasPrefix("search: "))
    }

    @Test func fileAndAnalysisEffectsAnswerThroughTheMailbox() throws {
        let h = try Harness()
        let directory = ExplorerFixture.temporaryDirectory
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("digits.lathe.yaml").path
        var plan = CompressionPlan.identity(layers: h.session.layers)
        plan.set(LayerSettings(bits: .integer(4)), for: h.session.layers[1].name)

        h.bridge.perform(.exportConfig(path: path, plan: plan, metrics: [ExportMetric("top1", "0.9700")]))
        var actions = h.collect { $0.contains { if case .exported = $0 { return true } else { return false } } }
        #expect(actions.contains { if case .exported(path, plan) = $0 { return true } else { return false } })

        // A model export runs LatheCore's exporter on the bridge's queue: progress, then the verified file.
        let onnx = directory.appendingPathComponent("digits-int4.onnx").path
        h.bridge.perform(.exportModel(path: onnx, plan: plan))
        actions = h.collect(seconds: 300) {
            $0.contains { if case .modelExported = $0 { return true }; if case .exportFailed = $0 { return true }; return false }
        }
        #expect(actions.contains { if case .modelExportProgress(onnx, "verifying", _, _) = $0 { return true } else { return false } })
        #expect(actions.contains { if case .modelExported(onnx, plan, _) = $0 { return true } else { return false } })
        let exported = try InferenceSession(model: ONNXReader.read(path: onnx), sampleShape: h.session.sampleShape)
        #expect(exported.layers.count == h.session.layers.count)
        // Onto the model itself: refused, the model untouched.
        let before = try Data(contentsOf: URL(fileURLWithPath: h.session.modelPath))
        h.bridge.perform(.exportModel(path: h.session.modelPath, plan: plan))
        actions = h.collect { $0.contains { if case .exportFailed = $0 { return true } else { return false } } }
        #expect(actions.contains { if case .exportFailed(_, let message) = $0 { return message.contains("refusing") } else { return false } })
        #expect(try Data(contentsOf: URL(fileURLWithPath: h.session.modelPath)) == before)

        h.bridge.perform(.openConfig(path: path))
        actions = h.collect { $0.contains { if case .configOpened = $0 { return true } else { return false } } }
        #expect(actions.contains { if case .configOpened(path, plan) = $0 { return true } else { return false } })

        let name = h.session.layers[1].name
        h.bridge.perform(.analyzeLayer(name: name, settings: LayerSettings(bits: .integer(4))))
        actions = h.collect { $0.contains { if case .layerAnalysis = $0 { return true } else { return false } } }
        let analysis = actions.compactMap { action -> LayerAnalysis? in
            if case .layerAnalysis(name, let analysis) = action { return analysis } else { return nil }
        }.first
        #expect(analysis?.settings == LayerSettings(bits: .integer(4)))
    }

    /// `e` with several evaluation sets: the compressed model (activation bits and a low-rank layer) is
    /// verified on every set, each evaluator calibrating its ranges on the first set's samples as the
    /// commands build them, with a "verifying" progress line, and the summary names each set.
    @Test func aModelExportIsVerifiedOnEverySet() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let model = root.appendingPathComponent("samples/digits_mlp/model.onnx").path
        let data = root.appendingPathComponent("samples/digits_mlp/data.npz").path
        let full = try Dataset.load(path: data)
        let first = try full.prefix(270)
        let parsed = try ONNXReader.read(path: model)
        let session = try InferenceSession(model: parsed, sampleShape: full.sampleShape)
        let options = EvaluatorOptions(batchSize: 64, threads: 2)
        let a = try PlanEvaluator(session: session, dataset: first, options: options)
        let b = try PlanEvaluator(session: session, dataset: full, options: options, calibration: first)
        var plan = CompressionPlan.identity(layers: session.layers)
        plan.set(LayerSettings(bits: .integer(8), activationBits: 6), for: session.layers[0].name)
        plan.set(LayerSettings(bits: .integer(8), rank: 0.25), for: session.layers[1].name)
        let info = SessionInfo(modelPath: model, modelName: "digits_mlp/model.onnx", dataPath: data,
                               dataName: "data.npz", samples: first.count, labelled: true, output: session.outputName)
        let directory = ExplorerFixture.temporaryDirectory
        defer { try? FileManager.default.removeItem(at: directory) }
        let onnx = directory.appendingPathComponent("digits-two-sets.onnx").path
        let progress = ProgressLog()
        let result = ConfigFiles.exportModel(path: onnx, plan: plan, evaluator: a, session: info, setName: "head",
                                             moreSets: [EvaluationSet(name: "all", data: data, dataHash: "", evaluator: b)]) {
            action in progress.append(action)
        }
        guard case .modelExported(onnx, plan, let summary) = result else {
            Issue.record("not exported: \(result)")
            return
        }
        let expectedA = try #require(a.evaluate(plan).totals.value(of: .top1))
        let expectedB = try #require(b.evaluate(plan).totals.value(of: .top1))
        #expect(summary.contains("head top1 " + String(format: "%.4f", expectedA)), "\(summary)")
        #expect(summary.contains("all top1 " + String(format: "%.4f", expectedB)), "\(summary)")
        #expect(progress.actions.contains {
            if case .modelExportProgress(onnx, "verifying", _, _) = $0 { return true } else { return false }
        })
        #expect(FileManager.default.fileExists(atPath: onnx))
    }
}

/// The pure translations of LatheCore's reports into the explorer's state.
@Suite struct EngineTranslationTests {
    static func snapshot(tag: Int?) -> LiveSnapshot {
        LiveSnapshot(generation: 4, tag: tag, sizeBytes: 1000, baselineBytes: 4000, bops: 0, metric: .top1,
                     samplesTotal: 500)
    }

    @Test func anUntaggedSnapshotIsNoStatus() {
        #expect(EngineStatus(Self.snapshot(tag: nil)) == nil)
    }

    @Test func sizeComesFirstWithoutAMetric() throws {
        let status = try #require(EngineStatus(Self.snapshot(tag: 7)))
        #expect(status == EngineStatus(revision: 7, samplesTotal: 500, sizeBytes: 1000, baselineBytes: 4000,
                                       compressionRatio: 4))
        #expect(status.isStreaming)
    }

    @Test func whileStreamingTheChangeIsAgainstTheBaselineOnTheSameSamples() throws {
        var snapshot = Self.snapshot(tag: 2)
        snapshot.value = 0.90
        snapshot.interval = 0.85...0.95
        snapshot.samplesDone = 100
        snapshot.baselineOnDone = 0.95
        snapshot.baselineValue = 0.97  // known from an earlier plan; not the same samples
        snapshot.job = JobProgress(id: 1, kind: .sweep, phase: "fc1 bits 4", done: 3, total: 9)
        let status = try #require(EngineStatus(snapshot))
        #expect(abs(try #require(status.change) - -0.05) < 1e-12)
        let interval = try #require(status.changeInterval)
        #expect(abs(interval.lowerBound - -0.10) < 1e-12 && abs(interval.upperBound - 0.0) < 1e-12)
        #expect(status.job == snapshot.job)
        #expect(status.samplesDone == 100 && !status.isFinal)
    }

    @Test func theFinalChangeIsAgainstTheWholeBaseline() throws {
        var snapshot = Self.snapshot(tag: 2)
        snapshot.value = 0.90
        snapshot.samplesDone = 500
        snapshot.isFinal = true
        snapshot.baselineOnDone = 0.95
        snapshot.baselineValue = 0.96
        let status = try #require(EngineStatus(snapshot))
        #expect(abs(try #require(status.change) - -0.06) < 1e-12)
        #expect(!status.isStreaming)
    }

    @Test func aSweepReportBecomesHeatmapCells() {
        let levels = SensitivityLevels(bits: [8, 2], prune: [0.5], clusters: [])
        var a = SensitivityReport.Layer(name: "a")
        a.bits = [8: 0.95, 2: 0.5]
        a.prune = [0.5: 0.9]
        a.score = 0.25
        var b = SensitivityReport.Layer(name: "b")
        b.bits = [8: 0.96]
        let report = SensitivityReport(
            baseline: .init(metric: .top1, value: 0.96, samples: 500, model: "m", modelHash: "h", data: "d",
                            dataHash: "h", method: "x", levels: levels, layerOrder: ["a", "b"]),
            layers: [a, b])
        let data = SensitivityData(report, layers: ["a", "b"])
        #expect(data.levels == [.bits(8), .bits(2), .prune(0.5)])
        #expect(data.baseline == 0.96)
        #expect(data.layers["a"]?.score == 0.25)
        #expect(abs((data.layers["a"]?.cells[.bits(2)]?.loss ?? 0) - 0.46) < 1e-12)
        #expect(data.layers["b"]?.cells[.bits(2)] == nil)
        #expect(!data.isComplete)
    }

    /// A level whose pass stopped early keeps its samples, and its cell says so ("~", whole points, to fit).
    @Test func aStoppedLevelIsMarkedInItsCell() {
        let levels = SensitivityLevels(bits: [2, 8])
        var a = SensitivityReport.Layer(name: "a")
        a.bits = [2: 0.3375, 8: 0.955]
        a.partial = [.bits(2): .init(samples: 320, bound: 0.894)]
        let report = SensitivityReport(
            baseline: .init(metric: .top1, value: 0.9615, samples: 2000, model: "m", modelHash: "h", data: "d",
                            dataHash: "h", method: "x", levels: levels, layerOrder: ["a"], stopLoss: 0.05),
            layers: [a])
        let data = SensitivityData(report, layers: ["a"])
        let stopped = data.layers["a"]?.cells[.bits(2)]
        let full = data.layers["a"]?.cells[.bits(8)]
        #expect(stopped?.partialSamples == 320)
        #expect(full?.partialSamples == nil)
        #expect(data.stopLoss == 0.05)
        #expect(stopped.map(data.cellText) == "~-62")
        #expect(full.map(data.cellText) == "-0.7")
    }
}

/// Progress actions posted from the exporter's thread.
private final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Action] = []
    func append(_ action: Action) { lock.withLock { stored.append(action) } }
    var actions: [Action] { lock.withLock { stored } }
}
