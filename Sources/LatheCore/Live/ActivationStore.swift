/// Which of the cached values (layer inputs, `LayerAncestry.cached`) a run computes
/// it keeps in the activation cache for later plans.
enum ActivationStore: Sendable {
    /// None: the run's activations serve it alone.
    case nothing
    /// The checkpoints (`LayerAncestry.isCheckpoint`), replacing the entries they supersede. What a plan
    /// the user applies, or a search, keeps: the next plan most likely shares its upstream settings.
    case checkpoints
    /// Those computed exactly as under `plan` (the layers upstream of them are set alike), and nothing
    /// else: a sensitivity entry keeps what it had to recompute of its base plan's activations (its
    /// layer's input, when the base plan's pass kept only checkpoints, as in a live session whose
    /// baseline was known before the sweep) for the entries after it, and leaves the base plan's
    /// activations downstream of its layer in place.
    case sharedWith(CompressionPlan)
    /// As `sharedWith(plan)`, and afterwards drops the batch's cached values that are not checkpoints and
    /// come before `layer`'s input: what a sensitivity entry for `layer` keeps, since a sweep takes its
    /// layers in graph order and each layer's first entry keeps that layer's input, from which the entries after
    /// it start (one that still needs a dropped value recomputes it from a checkpoint). The base plan's pass
    /// then keeps only checkpoints, and the sweep holds about one layer's inputs at a time instead of every
    /// layer's: fresh pages, zeroed by the kernel on first touch, cost more than the passes themselves.
    case advancing(CompressionPlan, layer: Int)
}
