import Foundation
import LatheCore
import Testing
@testable import LatheUI

/// The export and open prompts end to end: keys → effect → LatheCore file I/O → action.
@Suite struct ExportFlowTests {
    typealias F = ExplorerFixture

    /// Runs the file effects the way the binary's effect runner does, feeding results back.
    func perform(_ effects: [Effect], _ state: inout AppState) {
        for effect in effects {
            switch effect {
            case .exportConfig(let path, let plan, let metrics):
                F.run(&state, [ConfigFiles.export(path: path, plan: plan, metrics: metrics, session: state.session)])
            case .openConfig(let path):
                F.run(&state, [ConfigFiles.open(path: path, layers: F.weightLayers)])
            default: break
            }
        }
    }

    @Test func exportPromptWritesTheConfigurationWhereTheUserSays() throws {
        let dir = F.temporaryDirectory
        var state = F.state(exportPath: dir.appendingPathComponent("default.yaml").path)
        F.run(&state, F.keys("hhhh]]j]"))  // stem int6 prune 10%, blocks.0.depthwise prune 5%
        F.run(&state, [.engine(F.engine(for: state, value: 0.952, done: 2000, final: true))])
        F.run(&state, F.keys("e"))
        #expect(state.prompt?.kind == .export)
        #expect(state.prompt?.editor.text == dir.appendingPathComponent("default.yaml").path)
        let target = dir.appendingPathComponent("mine.yaml").path
        var effects = F.run(&state, F.keys("{Ctrl-U}") + target.map { .key(.char($0)) })
        effects += F.run(&state, F.keys("{Enter}"))
        guard case .exportConfig(let path, let plan, let metrics)? = effects.first else {
            Issue.record("Enter must export, got \(effects)")
            return
        }
        #expect(path == target && plan == state.plan)
        #expect(metrics.first == ExportMetric("top1", "0.9520"))
        #expect(metrics.map(\.name) == ["top1", "fp32_top1", "size_bytes", "compression_ratio", "samples"])
        #expect(state.isDirty)
        perform(effects, &state)
        #expect(!state.isDirty)
        #expect(state.message?.text == "exported the configuration to \(target)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("default.yaml").path))

        // The file is a v1 configuration that resolves to the same plan, with the metrics in comments.
        let text = try String(contentsOfFile: target, encoding: .utf8)
        #expect(text.contains("# measured: top1 0.9520, fp32_top1 0.9615, size_bytes "))
        #expect(text.contains("version: 1"))
        let reread = try CompressionConfig.read(path: target).plan(for: F.weightLayers)
        for layer in F.weightLayers {
            #expect(reread.settings(for: layer.name).canonical == state.plan.settings(for: layer.name).canonical)
        }
        // q no longer asks.
        #expect(F.run(&state, F.keys("q")) == [.quit])
    }

    @Test func anOnnxPathExportsTheCompressedModelWithProgress() {
        let dir = F.temporaryDirectory
        var state = F.state(exportPath: dir.appendingPathComponent("default.yaml").path)
        F.run(&state, F.keys("hhhh"))  // stem int6
        let target = dir.appendingPathComponent("small.onnx").path
        var effects = F.run(&state, F.keys("e{Ctrl-U}") + target.map { .key(.char($0)) })
        effects += F.run(&state, F.keys("{Enter}"))
        // The reducer only asks: the bridge runs LatheCore's exporter where configuration exports run.
        #expect(effects == [.exportModel(path: target, plan: state.plan)])
        #expect(state.message?.text == "exporting the compressed model to \(target)…")
        #expect(state.isDirty)
        F.run(&state, [.modelExportProgress(path: target, phase: "verifying", done: 512, total: 2000)])
        #expect(state.message?.text == "exporting \(target): verifying 512/2000 samples…")
        #expect(state.isDirty)
        F.run(&state, [.modelExported(path: target, plan: state.plan, summary: "23375 bytes, verified top1 0.9620")])
        #expect(!state.isDirty)
        #expect(state.message?.text == "exported the compressed model to \(target): 23375 bytes, verified top1 0.9620")
        #expect(state.message?.kind != .error)
        // A YAML path still writes the configuration.
        let yaml = dir.appendingPathComponent("c.yaml").path
        effects = F.run(&state, F.keys("e{Ctrl-U}") + yaml.map { .key(.char($0)) })
        effects += F.run(&state, F.keys("{Enter}"))
        guard case .exportConfig(let path, _, _)? = effects.first else {
            Issue.record("a .yaml path must export the configuration, got \(effects)")
            return
        }
        #expect(path == yaml)
    }

    @Test func exportFailuresAreReportedAndKeepChangesUnsaved() {
        let dir = F.temporaryDirectory
        var state = F.state(exportPath: dir.path)  // a directory
        F.run(&state, F.keys("h"))
        perform(F.run(&state, F.keys("e{Enter}")), &state)
        #expect(state.message?.kind == .error)
        #expect(state.message?.text.contains("is a directory") == true)
        #expect(state.isDirty)
        // An empty path keeps the prompt open.
        F.run(&state, F.keys("e{Ctrl-U}{Enter}"))
        #expect(state.prompt?.error == "type a path to write to")
        F.run(&state, F.keys("{Esc}"))
        #expect(state.prompt == nil)
    }

    @Test func openingAConfigurationReplacesThePlanUndoably() throws {
        let dir = F.temporaryDirectory
        let path = dir.appendingPathComponent("c.yaml").path
        try """
            version: 1
            defaults: {bits: 8}
            layers:
              classifier.weight: {bits: 4, prune: 0.5}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        var state = F.state()
        F.run(&state, F.keys("o"))
        #expect(state.prompt?.kind == .openConfig)
        perform(F.run(&state, path.map { .key(.char($0)) } + F.keys("{Enter}")), &state)
        #expect(state.plan.settings(for: "stem.conv.weight") == LayerSettings(bits: .integer(8)))
        #expect(state.plan.settings(for: "classifier.weight") == LayerSettings(bits: .integer(4), prune: 0.5))
        #expect(!state.isDirty)
        #expect(state.exportPath == path)
        F.run(&state, F.keys("u"))
        #expect(state.plan == .identity(layers: F.weightLayers))

        // A bad file is reported with LatheCore's message (file, line, key).
        let bad = dir.appendingPathComponent("bad.yaml").path
        try "version: 1\nlayers:\n  nosuch.weight: {bits: 4}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        perform(F.run(&state, F.keys("o{Ctrl-U}") + bad.map { .key(.char($0)) } + F.keys("{Enter}")), &state)
        #expect(state.message?.kind == .error)
        #expect(state.message?.text.contains("bad.yaml") == true)
        #expect(state.plan == .identity(layers: F.weightLayers))
    }

    @Test func tildeExpandsToHome() {
        #expect(ConfigFiles.expandingTilde("~/x.yaml", home: "/home/u") == "/home/u/x.yaml")
        #expect(ConfigFiles.expandingTilde("a/~/x", home: "/home/u") == "a/~/x")
        #expect(ConfigFiles.expandingTilde("~", home: "/home/u") == "/home/u")
    }
}
