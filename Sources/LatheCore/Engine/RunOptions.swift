/// What one `InferenceSession.run` should do besides computing the output.
public struct RunOptions: Sendable {
    /// Replacement initializers by tensor name (compressed weights), used
    /// without copying the graph. Shapes must match the session's weights.
    public var weights: [String: Tensor]
    /// Keyed by layer name: applied to that layer's data input just before its
    /// node runs (activation fake-quantization).
    public var inputTransforms: [String: @Sendable (Tensor) -> Tensor]
    /// Precomputed values by name (cached activations): steps whose outputs are
    /// all seeded are skipped, and so is whatever only they needed.
    public var seeds: [String: Tensor]
    /// Values to return besides the output.
    public var capture: Set<String>

    public init(weights: [String: Tensor] = [:], inputTransforms: [String: @Sendable (Tensor) -> Tensor] = [:],
                seeds: [String: Tensor] = [:], capture: Set<String> = []) {
        self.weights = weights
        self.inputTransforms = inputTransforms
        self.seeds = seeds
        self.capture = capture
    }
}

public struct RunResult: Sendable {
    public var output: Tensor
    public var captured: [String: Tensor]

    public init(output: Tensor, captured: [String: Tensor]) {
        self.output = output
        self.captured = captured
    }
}
