import Foundation
import LatheCore

/// `--config CFG` for `eval` and `inspect`: reading the file and resolving it
/// against the loaded model's layers into a `CompressionPlan`.
enum ConfigApplication {
    /// Reads and schema-checks a configuration file. Its errors already read
    /// `file:line: key: problem (suggestion)` and are passed on verbatim.
    static func read(_ path: String) throws -> CompressionConfig {
        try InputFiles.checkReadable(path, what: "config")
        return try CompressionConfig.read(path: path)
    }

    /// The per-layer plan for the session's layers: unknown layer names (with
    /// the nearest one suggested), globs matching nothing and settings a layer
    /// cannot take are errors at the config's file and line.
    static func plan(_ config: CompressionConfig, for session: InferenceSession) throws -> CompressionPlan {
        try config.plan(for: session.layers)
    }

    // MARK: presenting settings

    /// A layer's settings as the configuration file spells them, with typed values:
    /// `{"bits": 4, "scheme": "asymmetric", "prune": 0.5, "structure": "unstructured"}`;
    /// `{}` keeps the layer as it is.
    static func json(_ settings: LayerSettings) -> JSONValue {
        .object(ConfigWriter.keyValues(settings).map { pair in (pair.key, typed(pair.value)) })
    }

    /// `bits 4, scheme asymmetric` or `float` for an unchanged layer.
    static func text(_ settings: LayerSettings) -> String {
        let pairs = ConfigWriter.keyValues(settings)
        guard !pairs.isEmpty else { return "float" }
        return pairs.map { "\($0.key) \(unquoted($0.value))" }.joined(separator: ", ")
    }

    /// ConfigWriter renders strings quoted and numbers bare; JSON keeps that distinction.
    private static func typed(_ value: String) -> JSONValue {
        if value.hasPrefix("\"") { return .string(unquoted(value)) }
        if let integer = Int(value) { return .int(integer) }
        if let number = Double(value) { return .double(number) }
        return .string(value)
    }

    private static func unquoted(_ value: String) -> String {
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return value }
        // Setting values (fp16, 2:4, group names) are parsed back from JSON-escaped text.
        if let data = value.data(using: .utf8), let text = try? JSONDecoder().decode(String.self, from: data) {
            return text
        }
        return String(value.dropFirst().dropLast())
    }
}
