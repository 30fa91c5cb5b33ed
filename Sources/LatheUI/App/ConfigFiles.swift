import Foundation
import LatheCore

/// The file work behind the export and open prompts: LatheCore's configuration
/// reader and writer, with the result as an `Action` for the reducer. Called by
/// the engine bridge off the UI thread (never by `update`, which stays pure).
public enum ConfigFiles {
    /// Writes the v1 configuration of `plan` (YAML, or JSON for a .json path) with
    /// the measured metrics as comments.
    public static func export(path: String, plan: CompressionPlan, metrics: [ExportMetric],
                              session: SessionInfo) -> Action {
        let target = expandingTilde(path)
        let config = CompressionConfig(plan: plan, model: session.isBundledSample ? "lathe bundled sample"
                                                                                   : session.modelPath)
        do {
            try refuseDirectory(target)
            try ConfigWriter.write(config, to: target,
                                   modelDescription: session.modelPath + " (output \(session.output))",
                                   metrics: metrics.map { (name: $0.name, value: $0.value) })
            return .exported(path: target, plan: plan)
        } catch {
            return .exportFailed(path: target, message: "export failed: " + describe(error))
        }
    }

    /// Writes the compressed model of `plan` (QDQ ONNX) with LatheCore's exporter: the plan is evaluated
    /// on the explorer's data, the file written, read back and its metric checked before it is renamed
    /// into place. `progress` receives `.modelExportProgress` actions while it works. With several evaluation
    /// sets the file is verified on each (`moreSets`, after the first), as `lathe export` verifies them.
    public static func exportModel(path: String, plan: CompressionPlan, evaluator: PlanEvaluator,
                                   session: SessionInfo, setName: String = "data", moreSets: [EvaluationSet] = [],
                                   progress: @escaping @Sendable (Action) -> Void) -> Action {
        let target = expandingTilde(path)
        do {
            try refuseDirectory(target)
            try ExportTarget.check(target, notOnto: [session.modelPath, session.dataPath])
            progress(.modelExportProgress(path: target, phase: "evaluating the configuration", done: 0, total: 0))
            let planned = try evaluator.evaluate(plan)
            let further = try moreSets.map {
                ExportVerificationSet(name: $0.name, evaluator: $0.evaluator, planned: try $0.evaluator.evaluate(plan))
            }
            let report = try ModelExporter.export(
                .init(modelPath: evaluator.session.modelPath, outputPath: target, format: .qdq, plan: plan,
                      session: evaluator.session, evaluator: evaluator, planned: planned, setName: setName,
                      moreSets: further)) { phase, done, total in
                progress(.modelExportProgress(path: target, phase: phase, done: done, total: total))
            }
            var summary = "\(report.fileBytes) bytes"
            if report.sets.count > 1 {
                summary += ", verified " + report.sets.map { set in
                    "\(set.name) \(set.check.metric.rawValue) " + (set.check.exported.map { String(format: "%.4f", $0) } ?? "-")
                }.joined(separator: ", ")
            } else if let metric = report.metric, let value = metric.exported {
                summary += ", verified \(metric.metric.rawValue) " + String(format: "%.4f", value)
            }
            if !report.notes.isEmpty { summary += " (\(report.notes.count) notes: \(report.notes[0]))" }
            return .modelExported(path: target, plan: plan, summary: summary)
        } catch {
            return .exportFailed(path: target, message: "export failed: " + describe(error))
        }
    }

    /// "<name>.lathe.yaml" in the current directory, the name being the model file's, or its
    /// directory's when the file is the generic "model.onnx".
    public static func defaultExportPath(model: String, bundled: Bool) -> String {
        let url = URL(fileURLWithPath: model)
        var name = url.deletingPathExtension().lastPathComponent
        if bundled || name == "model" {
            let parent = url.deletingLastPathComponent().lastPathComponent
            name = bundled || parent.isEmpty || parent == "." ? "mobilenet" : parent
        }
        return name + ".lathe.yaml"
    }

    /// Reads a configuration and resolves it for the model's layers.
    public static func open(path: String, layers: [WeightLayer]) -> Action {
        let target = expandingTilde(path)
        do {
            let config = try CompressionConfig.read(path: target)
            let plan = try config.plan(for: layers)
            return .configOpened(path: target, plan: plan)
        } catch {
            return .configFailed(path: target, message: describe(error))
        }
    }

    /// "~/x" → "$HOME/x" (a prompt is not a shell, but people type it anyway).
    public static func expandingTilde(_ path: String, home: String? = ProcessInfo.processInfo.environment["HOME"])
        -> String {
        guard path == "~" || path.hasPrefix("~/"), let home, !home.isEmpty else { return path }
        return home + path.dropFirst()
    }

    private static func refuseDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw LatheError.badInput(file: path, "is a directory; give a file name such as config.yaml")
        }
    }

    private static func describe(_ error: Error) -> String {
        (error as? LatheError)?.message ?? "\(error)"
    }
}
