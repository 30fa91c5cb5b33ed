/// The `lathe` command lines that give each number of a report, shell-quoted.
public struct ReportCommands: Sendable {
    public var model: String
    /// `--data` arguments as given ([NAME=]FILE).
    public var data: [String]
    public var config: String?
    /// Options that change what is scored (--output, --metric, --labels, …), passed on to eval and sensitivity.
    public var scoringArguments: [String]
    /// Options that change the sweep alone (--stop-at), passed on to sensitivity.
    public var sweepArguments: [String]
    public var bits: [Int]
    /// Weights-only checkpoints have no graph: no eval, no export.
    public var checkpoint: Bool
    /// The report command itself.
    public var reportArguments: [String]

    public init(model: String, data: [String], config: String?, scoringArguments: [String],
                sweepArguments: [String] = [], bits: [Int], checkpoint: Bool, reportArguments: [String]) {
        self.model = model
        self.data = data
        self.config = config
        self.scoringArguments = scoringArguments
        self.sweepArguments = sweepArguments
        self.bits = bits
        self.checkpoint = checkpoint
        self.reportArguments = reportArguments
    }

    /// POSIX shell quoting: bare when only safe characters, else single quotes.
    public static func quote(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !word.isEmpty, word.allSatisfy({ safe.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func line(_ words: [String]) -> String { words.map(quote).joined(separator: " ") }

    public var lines: [ReportCommandLine] {
        let dataArguments = data.flatMap { ["--data", $0] }
        let bitsText = bits.map(String.init).joined(separator: ",")
        var lines: [ReportCommandLine] = []
        lines.append(ReportCommandLine(
            purpose: "Layers, shapes, parameters, histograms and the original size (section 1)"
                + (config != nil ? "; each layer's settings and bytes by component (section 2)" : "") + ":",
            command: Self.line(["lathe", "inspect", model] + (config.map { ["--config", $0] } ?? []) + ["--json"])))
        if checkpoint {
            lines.append(ReportCommandLine(
                purpose: "The data-free SQNR per layer and bit-width (section 4):",
                command: Self.line(["lathe", "sensitivity", model, "--bits", bitsText, "--json"])))
        } else {
            if !data.isEmpty {
                lines.append(ReportCommandLine(
                    purpose: "The uncompressed model's metric on the data (section 1):",
                    command: Self.line(["lathe", "eval", model] + dataArguments + scoringArguments + ["--json"])))
                if let config {
                    lines.append(ReportCommandLine(
                        purpose: "The plan's metric, size and ratio (sections 1, 2 and the red diamond of 5):",
                        command: Self.line(["lathe", "eval", model] + dataArguments + scoringArguments
                            + ["--config", config, "--json"])))
                }
            }
            lines.append(ReportCommandLine(
                purpose: data.isEmpty
                    ? "The data-free SQNR per layer and bit-width (section 4):"
                    : "The metric per layer and bit-width (section 4; cached, so running it again is instant):",
                command: Self.line(["lathe", "sensitivity", model] + dataArguments + scoringArguments
                    + (data.isEmpty ? [] : sweepArguments) + ["--bits", bitsText, "--json"])))
            var uniform = UniformPlans.all.map { entry in
                "printf " + Self.quote(entry.config.replacingOccurrences(of: "\n", with: "\\n")) + " > " + entry.file
            }
            for entry in UniformPlans.all {
                uniform.append(data.isEmpty
                    ? Self.line(["lathe", "inspect", model, "--config", entry.file, "--json"])
                    : Self.line(["lathe", "eval", model] + dataArguments + scoringArguments
                        + ["--config", entry.file, "--json"]))
            }
            lines.append(ReportCommandLine(
                purpose: "The uniform plans of section 5 (" + (data.isEmpty ? "their sizes" : "their metric and size") + "):",
                command: uniform.joined(separator: "\n")))
            if let config {
                lines.append(ReportCommandLine(
                    purpose: "The compressed model itself, as ONNX with integer weights (checked against these sizes"
                        + (data.isEmpty ? ")" : " and, with --data, this metric)") + ":",
                    command: Self.line(["lathe", "export", model, "--config", config] + dataArguments
                        + ["--out", "compressed.onnx"])))
            }
        }
        lines.append(ReportCommandLine(purpose: "This report:", command: Self.line(["lathe", "report"] + reportArguments)))
        return lines
    }
}
