/// The default-domain opsets whose semantics the op table implements, and the
/// check that refuses a model outside them before anything runs.
///
/// The range ends at the newest opset every entry has been checked against:
/// the op changes from 22 to 28 only add element types (bfloat16, float8,
/// float4, int2, float6) or attributes that concern only those types; Lathe
/// refuses those types where it meets them. It starts at 6: older models
/// carry attribute-form Reshape (before 5) and `consumed_inputs`, which the
/// kernels do not read.
extension OpRegistry {
    /// The oldest default-domain opset Lathe runs.
    public static let oldestOpset = 6

    /// Every default-domain opset Lathe runs.
    public static var supportedOpsets: ClosedRange<Int> { oldestOpset...newestOpset }

    /// Ops that before opset 7 aligned a second operand at an `axis` attribute
    /// (legacy broadcasting) instead of numpy-style from the right.
    static let legacyBroadcastOps: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less",
    ]

    /// Refuses a model whose default-domain opset is outside `supportedOpsets`,
    /// or an opset-6 node using legacy `axis` broadcasting, naming the file.
    public static func checkOpset(of model: Model) throws {
        guard supportedOpsets.contains(model.opset) else {
            throw LatheError.badInput("model \(model.path) uses opset \(model.opset); Lathe supports opsets "
                + "\(oldestOpset)–\(newestOpset)")
        }
        guard model.opset < 7 else { return }
        for node in model.graph.nodes where node.isDefaultDomain && legacyBroadcastOps.contains(node.opType)
            && node.attributes["axis"] != nil {
            throw LatheError.badInput("model \(model.path) uses opset \(model.opset) broadcasting with an axis "
                + "attribute (node '\(node.displayName)', \(node.opType)); Lathe supports numpy-style broadcasting "
                + "(opset 7 and later) and `broadcast` without `axis`")
        }
    }
}
