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
        .object(ConfigWriter.jsonMembers(settings))
    }

    /// `bits 4, scheme asymmetric` or `float` for an unchanged layer.
    static func text(_ settings: LayerSettings) -> String {
        let pairs = ConfigWriter.settingValues(settings)
        guard !pairs.isEmpty else { return "float" }
        return pairs.map { "\($0.key) \($0.value.plain)" }.joined(separator: ", ")
    }
}
