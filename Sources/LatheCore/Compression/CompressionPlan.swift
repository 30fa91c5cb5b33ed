/// One `layers:` entry: a layer name or glob and the settings it gives.
public struct LayerRule: Sendable, Equatable {
    public var pattern: LayerPattern
    public var settings: LayerSettings

    public init(_ pattern: String, _ settings: LayerSettings) {
        self.pattern = LayerPattern(pattern)
        self.settings = settings
    }
}

/// Per-layer settings resolved for a concrete list of layers. An entry replaces
/// the defaults as a whole (it is not merged key by key): an exact layer name
/// wins over every glob, and among globs the later one wins.
public struct CompressionPlan: Sendable, Equatable {
    /// Settings for any layer without its own entry.
    public var defaults: LayerSettings
    /// The layers the plan was resolved for, in graph order.
    public private(set) var layerNames: [String]
    private var byLayer: [String: LayerSettings]

    public init(layers: [WeightLayer], defaults: LayerSettings = .identity, settings: [String: LayerSettings] = [:]) {
        self.defaults = defaults
        self.layerNames = layers.map(\.name)
        self.byLayer = [:]
        for name in layerNames { byLayer[name] = settings[name] ?? defaults }
    }

    /// Applies `rules` in order to `layers` (exact names over globs, later globs over earlier).
    public static func resolve(layers: [WeightLayer], defaults: LayerSettings, rules: [LayerRule]) -> CompressionPlan {
        var resolved: [String: LayerSettings] = [:]
        for layer in layers {
            if let exact = rules.last(where: { $0.pattern.text == layer.name }) {
                resolved[layer.name] = exact.settings
            } else if let glob = rules.last(where: { $0.pattern.isGlob && $0.pattern.matches(layer.name) }) {
                resolved[layer.name] = glob.settings
            }
        }
        return CompressionPlan(layers: layers, defaults: defaults, settings: resolved)
    }

    /// The plan that changes nothing.
    public static func identity(layers: [WeightLayer]) -> CompressionPlan { CompressionPlan(layers: layers) }

    public func settings(for layerName: String) -> LayerSettings { byLayer[layerName] ?? defaults }

    public mutating func set(_ settings: LayerSettings, for layerName: String) {
        if byLayer[layerName] == nil { layerNames.append(layerName) }
        byLayer[layerName] = settings
    }

    /// Whether no layer's weights or activations change.
    public var isIdentity: Bool {
        layerNames.isEmpty ? defaults.isIdentity : layerNames.allSatisfy { settings(for: $0).isIdentity }
    }

    /// Layer names of each share group, in graph order.
    public var shareGroups: [String: [String]] {
        var groups: [String: [String]] = [:]
        for name in layerNames {
            let current = settings(for: name)
            if current.isShared, let group = current.shareGroup { groups[group, default: []].append(name) }
        }
        return groups
    }

    /// Checks the plan can be applied to `layers`: each layer's settings fit its
    /// op (see `LayerSettings.problem(for:)`) and the layers of a share group agree
    /// on the number of clusters.
    public func validate(layers: [WeightLayer]) throws {
        for layer in layers {
            if let problem = settings(for: layer.name).problem(for: layer) {
                throw LatheError.badInput("\(layer.name): \(problem.key): \(problem.message)")
            }
        }
        for (group, members) in shareGroups.sorted(by: { $0.key < $1.key }) {
            let counts = Set(members.compactMap { settings(for: $0).clusters })
            if counts.count > 1 {
                throw LatheError.badInput("share_group \(group): its layers (\(members.joined(separator: ", "))) "
                    + "must use the same clusters, found \(counts.sorted().map(String.init).joined(separator: ", "))")
            }
        }
    }
}

extension LayerSettings {
    /// Why these settings cannot apply to `layer` (nil when they can), as a config key and a message.
    public func problem(for layer: WeightLayer) -> (key: String, message: String)? {
        if let conflict { return conflict }
        if isLowRank, let reason = LowRank.unsupportedReason(layer) {
            return ("rank", reason)
        }
        if layer.op.holdsIntegers {
            // The integer kernel multiplies whole numbers: a shared codebook's centroids are not, and the
            // layer's input is already an integer tensor (DynamicQuantizeLinear's).
            if clusters != nil {
                return ("clusters", "do not apply to \(layer.name), an integer \(layer.op.rawValue) weight: "
                    + "the centroids are not whole numbers, which the integer kernel needs")
            }
            if grid != .uniform {
                return ("grid", "\(grid.rawValue) does not apply to \(layer.name), an integer \(layer.op.rawValue) weight: "
                    + "its levels are not whole numbers, which the integer kernel needs")
            }
            if activationBits != nil {
                return ("abits", "does not apply to \(layer.name), an integer \(layer.op.rawValue) weight: "
                    + "its input is an integer tensor already")
            }
        }
        if needsCalibration, let reason = LayerInputStatistics.unsupportedReason(layer) {
            let key = isUniformlyQuantized && method == .gptq ? "method" : usesSparseGPT ? "prune_method" : "bias_correction"
            return (key, calibrationUse + " " + reason)
        }
        if biasCorrection && changesWeights && layer.op.isRecurrent {
            return ("bias_correction", "does not apply to \(layer.name), a \(layer.op.rawValue) weight: its bias B "
                + "holds W's and R's gate biases together (use method: gptq alone)")
        }
        if activationBits != nil, layer.isRecurrence {
            return ("abits", "does not apply to \(layer.name), the recurrence weight R of a \(layer.op.rawValue): "
                + "its input is the hidden state inside the node (set abits on the node's W layer to quantize X)")
        }
        return nil
    }
}
