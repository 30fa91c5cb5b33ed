/// Which of the cached values (layer inputs, `LayerAncestry.cached`) a run computes
/// it keeps in the activation cache for later plans.
enum ActivationStore: Sendable {
    /// None: the run's activations serve it alone.
    case nothing
    /// The checkpoints (`LayerAncestry.isCheckpoint`), replacing the entries they supersede. What a plan
    /// the user applies, or a search, keeps: the next plan most likely shares its upstream settings.
    case checkpoints
    /// Every one, replacing the entries they supersede: what a sensitivity sweep's base plan keeps, since
    /// each entry starts from its layer's input.
    case everything
    /// Those computed exactly as under `plan` (the layers upstream of them are set alike), and nothing
    /// else: a sensitivity entry keeps what it had to recompute of its base plan's activations (its
    /// layer's input, when the base plan's pass kept only checkpoints, as in a live session whose
    /// baseline was known before the sweep) for the entries after it, and leaves the base plan's
    /// activations downstream of its layer in place.
    case sharedWith(CompressionPlan)
}
