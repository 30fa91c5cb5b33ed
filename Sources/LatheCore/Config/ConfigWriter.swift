import Foundation

/// Writes configuration files: YAML (with comments naming the model and the
/// measured metrics) or, for a `.json` path, the same schema as JSON (which has
/// no comments; written by `JSONValue` in its file style). Keys come in a fixed order, settings in canonical form, so
/// `ConfigReader.parse(render(x)) == x` for canonical settings.
public enum ConfigWriter {
    /// Writes atomically (a temporary file renamed over the target).
    /// - Parameters:
    ///   - modelDescription: a comment line naming the model (e.g. its path and producer).
    ///   - metrics: measured values to record as comments, in order, e.g. [("top1", "0.9812")].
    public static func write(_ config: CompressionConfig, to path: String, modelDescription: String? = nil,
                             metrics: [(name: String, value: String)] = []) throws {
        let text = path.lowercased().hasSuffix(".json")
            ? renderJSON(config)
            : renderYAML(config, modelDescription: modelDescription, metrics: metrics)
        // AtomicFile, like every other output: the same temporary file, fsync and clean-up on failure,
        // and an error that names the file and the cause (a full disk, a read-only folder).
        try AtomicFile.write(Data(text.utf8), to: path)
    }

    public static func renderYAML(_ config: CompressionConfig, modelDescription: String? = nil,
                                  metrics: [(name: String, value: String)] = []) -> String {
        var lines = ["# Lathe compression configuration (format version 1)"]
        if let modelDescription { lines.append("# model: \(singleLine(modelDescription))") }
        if !metrics.isEmpty {
            lines.append("# measured: " + metrics.map { "\(singleLine($0.name)) \(singleLine($0.value))" }
                .joined(separator: ", "))
        }
        lines.append("version: \(CompressionConfig.currentVersion)")
        if let model = config.model { lines.append("model: \(quoted(model))") }
        lines.append("defaults: " + flowMapping(config.defaults))
        if config.layers.isEmpty {
            lines.append("layers: {}")
        } else {
            lines.append("layers:")
            for rule in config.layers {
                lines.append("  \(quoted(rule.pattern.text)): " + flowMapping(rule.settings))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func renderJSON(_ config: CompressionConfig) -> String { jsonValue(config).rendered(.file) + "\n" }

    /// The v1 configuration as one JSON object (what `renderJSON` writes).
    public static func jsonValue(_ config: CompressionConfig) -> JSONValue {
        var members: [(String, JSONValue)] = [("version", .int(CompressionConfig.currentVersion))]
        if let model = config.model { members.append(("model", .string(model))) }
        members.append(("defaults", .object(jsonMembers(config.defaults))))
        members.append(("layers", .object(config.layers.map { ($0.pattern.text, .object(jsonMembers($0.settings))) })))
        return .object(members)
    }

    /// One setting's value, typed so each format can spell it.
    public enum SettingValue: Sendable, Equatable {
        case integer(Int)
        case number(Double)
        /// One of the schema's words (`asymmetric`, `per-tensor`): bare in YAML.
        case word(String)
        /// Free text (`fp16`, `2:4`, a share group's name): quoted in YAML.
        case text(String)
        case boolean(Bool)

        /// As YAML flow mappings spell it (also the CLI's summaries).
        public var yaml: String {
            switch self {
            case .integer(let value): return String(value)
            case .number(let value): return ConfigWriter.number(value)
            case .word(let word): return word
            case .text(let text): return ConfigWriter.quoted(text)
            case .boolean(let value): return value ? "true" : "false"
            }
        }

        /// The text without YAML's quotes: `bits fp16, structure 2:4`.
        public var plain: String {
            switch self {
            case .word(let text), .text(let text): return text
            default: return yaml
            }
        }

        /// As JSON holds it: integral numbers as integers.
        public var json: JSONValue {
            switch self {
            case .integer(let value): return .int(value)
            case .number(let value):
                return value == value.rounded() && abs(value) < 1e15 ? .int(Int(value)) : .double(value)
            case .word(let text), .text(let text): return .string(text)
            case .boolean(let value): return .bool(value)
            }
        }
    }

    /// The settings' keys in the schema's order, only those that differ from the defaults.
    public static func settingValues(_ settings: LayerSettings) -> [(key: String, value: SettingValue)] {
        let s = settings.canonical
        var pairs: [(String, SettingValue)] = []
        if s.bits != .float32 {
            switch s.bits {
            case .integer(let bits): pairs.append(("bits", .integer(bits)))
            default: pairs.append(("bits", .text(s.bits.configValue)))
            }
        }
        if s.isUniformlyQuantized {
            if s.scheme != .symmetric { pairs.append(("scheme", .word(s.scheme.rawValue))) }
            if s.granularity != .perChannel { pairs.append(("granularity", .word(s.granularity.rawValue))) }
            if s.range != .minmax { pairs.append(("range", .word(s.range.rawValue))) }
            if s.range == .percentile { pairs.append(("percentile", .number(s.percentile))) }
            if s.grid != .uniform { pairs.append(("grid", .word(s.grid.rawValue))) }
            if s.method != .rtn { pairs.append(("method", .word(s.method.rawValue))) }
        }
        if s.structure == .twoFour {
            pairs.append(("structure", .text("2:4")))
        } else if s.prune > 0 {
            pairs.append(("prune", .number(s.prune)))
            pairs.append(("structure", .word(s.structure.rawValue)))
        }
        if s.usesSparseGPT { pairs.append(("prune_method", .word(s.pruneMethod.rawValue))) }
        if let clusters = s.clusters { pairs.append(("clusters", .integer(clusters))) }
        if let group = s.shareGroup { pairs.append(("share_group", .text(group))) }
        if let rank = s.rank { pairs.append(("rank", .number(rank))) }
        if let abits = s.activationBits { pairs.append(("abits", .integer(abits))) }
        if s.biasCorrection { pairs.append(("bias_correction", .boolean(true))) }
        return pairs
    }

    /// The settings' keys and values as YAML spells them (see `settingValues`).
    public static func keyValues(_ settings: LayerSettings) -> [(key: String, value: String)] {
        settingValues(settings).map { ($0.key, $0.value.yaml) }
    }

    /// The settings as members of a JSON object (see `settingValues`).
    public static func jsonMembers(_ settings: LayerSettings) -> [(String, JSONValue)] {
        settingValues(settings).map { ($0.key, $0.value.json) }
    }

    static func flowMapping(_ settings: LayerSettings) -> String {
        "{" + keyValues(settings).map { $0.key + ": " + $0.value }.joined(separator: ", ") + "}"
    }

    /// Shortest text that reads back as the same Double (as `JSONStyle.file` writes numbers).
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }

    /// A double-quoted string with JSON escapes, which YAML reads the same way.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += String(format: "\\u%04X", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    static func singleLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }
}
