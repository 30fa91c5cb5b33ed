/// Which array of an .npz evaluation set holds the labels, and which arrays feed the model.
///
/// By default the labels are the array `y` and `y` is never fed to the model. A model with an
/// input named `y` needs that array as its input: then `y` feeds it and, unless `--labels NAME`
/// names another array, the set has no labels. An array named by `--labels` is the labels
/// (and still feeds a model input of its name, should there be one).
public struct LabelSource: Sendable, Equatable {
    /// The array `--labels` named, or nil for the default `y`.
    public var requested: String?
    /// The model's data inputs (graph inputs that are not initializers).
    public var modelInputs: Set<String>

    public init(requested: String?, modelInputs: Set<String>) {
        self.requested = requested
        self.modelInputs = modelInputs
    }

    /// The labels array's name (`y` unless `--labels` named another).
    public var name: String { requested ?? "y" }

    /// True when the default labels array `y` is a model input, so it feeds the model instead.
    public var feedsInput: Bool { requested == nil && modelInputs.contains("y") }

    /// The array read as labels, or nil when there is none to read.
    public var labels: String? { feedsInput ? nil : name }

    /// Whether the array `array` is one of the set's inputs (the labels array is not, unless the model reads it).
    public func feeds(_ array: String) -> Bool { array != name || modelInputs.contains(array) }

    /// The one-line note for stderr when `y` feeds the model and no labels are left.
    public static let feedsInputNote = "array 'y' feeds the model's input 'y', so the set has no labels "
        + "(name the labels array with --labels NAME)"
}
