import Foundation

/// Writes configuration files: YAML (with comments naming the model and the
/// measured metrics) or, for a `.json` path, the same schema as JSON (which has
/// no comments). Keys come in a fixed order, settings in canonical form, so
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
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw LatheError.badInput(file: path, "cannot write: \(error.localizedDescription)")
        }
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
        lines.append("defaults: " + flowMapping(config.defaults, keyQuote: false))
        if config.layers.isEmpty {
            lines.append("layers: {}")
        } else {
            lines.append("layers:")
            for rule in config.layers {
                lines.append("  \(quoted(rule.pattern.text)): " + flowMapping(rule.settings, keyQuote: false))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func renderJSON(_ config: CompressionConfig) -> String {
        var lines = ["{", "  \"version\": \(CompressionConfig.currentVersion),"]
        if let model = config.model { lines.append("  \"model\": \(quoted(model)),") }
        lines.append("  \"defaults\": " + flowMapping(config.defaults, keyQuote: true) + ",")
        if config.layers.isEmpty {
            lines.append("  \"layers\": {}")
        } else {
            lines.append("  \"layers\": {")
            for (index, rule) in config.layers.enumerated() {
                let comma = index + 1 < config.layers.count ? "," : ""
                lines.append("    \(quoted(rule.pattern.text)): " + flowMapping(rule.settings, keyQuote: true) + comma)
            }
            lines.append("  }")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The settings' keys in the schema's order, only those that differ from the defaults.
    public static func keyValues(_ settings: LayerSettings) -> [(key: String, value: String)] {
        let s = settings.canonical
        var pairs: [(String, String)] = []
        if s.bits != .float32 {
            switch s.bits {
            case .integer(let bits): pairs.append(("bits", String(bits)))
            default: pairs.append(("bits", quoted(s.bits.configValue)))
            }
        }
        if s.isUniformlyQuantized {
            if s.scheme != .symmetric { pairs.append(("scheme", s.scheme.rawValue)) }
            if s.granularity != .perChannel { pairs.append(("granularity", s.granularity.rawValue)) }
            if s.range != .minmax { pairs.append(("range", s.range.rawValue)) }
            if s.range == .percentile { pairs.append(("percentile", number(s.percentile))) }
        }
        if s.structure == .twoFour {
            pairs.append(("structure", quoted("2:4")))
        } else if s.prune > 0 {
            pairs.append(("prune", number(s.prune)))
            pairs.append(("structure", s.structure.rawValue))
        }
        if let clusters = s.clusters { pairs.append(("clusters", String(clusters))) }
        if let group = s.shareGroup { pairs.append(("share_group", quoted(group))) }
        if let rank = s.rank { pairs.append(("rank", number(rank))) }
        if let abits = s.activationBits { pairs.append(("abits", String(abits))) }
        return pairs
    }

    static func flowMapping(_ settings: LayerSettings, keyQuote: Bool) -> String {
        let pairs = keyValues(settings).map { (keyQuote ? "\"\($0.key)\"" : $0.key) + ": " + $0.value }
        return "{" + pairs.joined(separator: ", ") + "}"
    }

    /// Shortest text that reads back as the same Double (JSON- and YAML-compatible).
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
