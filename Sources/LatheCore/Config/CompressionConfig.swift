/// A configuration file (v1, DESIGN.md "Configuration file"): defaults plus
/// ordered `layers:` entries keyed by weight tensor name or glob.
///
/// Semantics (documented choices):
/// - an entry replaces the defaults for the layers it matches (no key-by-key merge);
///   exact names win over globs, later globs over earlier;
/// - `bits` absent or 32 keeps float; `scheme`, `granularity`, `range` and `percentile`
///   need integer `bits` (1–16) and are errors otherwise (they would have no effect);
/// - `percentile` needs `range: percentile` (which defaults to 99.99);
/// - `prune` without `structure` is unstructured; `structure: unstructured|channel` without
///   `prune` is an error; `structure: 2:4` removes half and takes no `prune` (or exactly 0.5);
/// - `clusters` replaces uniform quantization, so `clusters` with `bits` is an error;
///   `share_group` needs `clusters`, and layers of one group must agree on it;
/// - `rank` applies to Gemm/MatMul (2-D) and ungrouped 1×1 Conv only, and cannot be combined
///   with `prune`/`structure` or `clusters` (a low-rank layer is stored as two dense factors);
/// - `abits: 32` keeps float activations.
/// Equality ignores where the file was read from.
public struct CompressionConfig: Sendable {
    public static let currentVersion = 1

    /// Informative path or name of the model the file was made for.
    public var model: String?
    public var defaults: LayerSettings
    public var layers: [LayerRule]
    /// Where the file was read from, with the line of every key (nil for configs built in code).
    public var source: ConfigSource?

    public init(model: String? = nil, defaults: LayerSettings = .identity, layers: [LayerRule] = [],
                source: ConfigSource? = nil) {
        self.model = model
        self.defaults = defaults
        self.layers = layers
        self.source = source
    }

    /// The configuration that reproduces `plan`: its defaults, and an exact-name entry for
    /// every layer whose settings differ from them.
    public init(plan: CompressionPlan, model: String? = nil) {
        let defaults = plan.defaults.canonical
        var rules: [LayerRule] = []
        for name in plan.layerNames {
            let settings = plan.settings(for: name).canonical
            if settings != defaults { rules.append(LayerRule(name, settings)) }
        }
        self.init(model: model, defaults: defaults, layers: rules)
    }

    /// Reads and validates a YAML or JSON configuration file (schema only; layer
    /// names are checked by `plan(for:)`).
    public static func read(path: String) throws -> CompressionConfig {
        try ConfigReader.read(path: path)
    }

    /// The plan for a concrete model. A configuration applies to any model whose layer names
    /// it matches. Errors name the file, the line and the key: an unknown layer (with the
    /// nearest layer name suggested), a glob matching no layer, settings a layer cannot take
    /// (`rank` on a 3×3 Conv), a share group whose layers disagree on `clusters`.
    public func plan(for layers: [WeightLayer]) throws -> CompressionPlan {
        try ConfigResolver(config: self).plan(for: layers)
    }
}

extension CompressionConfig: Equatable {
    public static func == (lhs: CompressionConfig, rhs: CompressionConfig) -> Bool {
        lhs.model == rhs.model && lhs.defaults == rhs.defaults && lhs.layers == rhs.layers
    }
}

/// Where a configuration came from: its path and the line of each key, for error messages.
public struct ConfigSource: Sendable {
    public var path: String
    /// Line of each key of `defaults` (by config key).
    public var defaultsKeyLines: [String: Int]
    /// Line of the `defaults` key itself.
    public var defaultsLine: Int
    /// For each `layers` entry in order: the line of its name and of each of its keys.
    public var ruleLines: [(line: Int, keys: [String: Int])]

    public init(path: String, defaultsLine: Int = 1, defaultsKeyLines: [String: Int] = [:],
                ruleLines: [(line: Int, keys: [String: Int])] = []) {
        self.path = path
        self.defaultsLine = defaultsLine
        self.defaultsKeyLines = defaultsKeyLines
        self.ruleLines = ruleLines
    }
}
