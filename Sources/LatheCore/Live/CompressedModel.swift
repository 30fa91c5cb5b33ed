/// The session's model under one compression plan, ready to run: compressed
/// weights and calibrated activation quantizers as `RunOptions`, plus the
/// cache signature of every cached value and of the output, which say what it
/// shares with other compressed models. (Not "plan": that is the user's
/// `CompressionPlan`, kept here in canonical form.)
struct CompressedModel: Sendable {
    /// The plan, every layer's settings in canonical form.
    let plan: CompressionPlan
    /// Weights and input transforms (no seeds, no captures).
    let runOptions: RunOptions
    /// Per cached value (`LayerAncestry.cached`): state ids of its upstream layers.
    let valueSignatures: [[Int32]]
    /// State ids of the layers upstream of the output: equal signatures give equal outputs.
    let outputSignature: [Int32]
    /// Whether nothing changes: the plan's outputs are the model's own.
    let isIdentity: Bool
}

/// Identifies a layer's activation calibration: the layer and the weight-only
/// states of the layers upstream of the input it observes.
struct CalibrationKey: Hashable, Sendable {
    var layer: Int
    var signature: [Int32]
}

extension CompressionPlan {
    /// The same plan with every layer's settings (and the defaults) in canonical form.
    var canonical: CompressionPlan {
        var result = self
        result.defaults = defaults.canonical
        for name in layerNames { result.set(settings(for: name).canonical, for: name) }
        return result
    }
}
