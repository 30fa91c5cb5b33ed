/// A question on the bottom line that takes over the keyboard until answered.
public struct PromptState: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Export the configuration to the path typed.
        case export
        /// Open a configuration file.
        case openConfig
        /// The automatic search's budget.
        case searchBudget
        /// Search layer names (incremental); remembers where the selection was.
        case layerSearch(previousSelection: Int)
        /// y/n before quitting with changes not exported.
        case confirmQuit
    }

    public var kind: Kind
    public var editor: LineEditor
    /// A problem with the last answer, shown beside the prompt (it stays open).
    public var error: String?

    public init(kind: Kind, text: String = "", error: String? = nil) {
        self.kind = kind
        editor = LineEditor(text)
        self.error = error
    }

    /// The question before the text field.
    public var label: String {
        switch kind {
        case .export: return "Export configuration to: "
        case .openConfig: return "Open configuration: "
        case .searchBudget: return "Search budget (1% max drop, 4x ratio, 20KB size): "
        case .layerSearch: return "/"
        case .confirmQuit: return "Changes are not exported. Quit anyway? (y/n) "
        }
    }

    /// Whether the prompt edits text (the y/n question does not).
    public var takesText: Bool { kind != .confirmQuit }
}
