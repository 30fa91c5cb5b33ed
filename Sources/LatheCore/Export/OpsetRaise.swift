/// Raising a model's default-domain opset to 21, the first where DequantizeLinear reads int4/uint4, only
/// when that changes nothing else: every node's op must behave the same at 21 as at the model's opset.
///
/// `changes` lists, for the ops Lathe knows, the opsets after 6 whose definition changed behaviour or
/// signature (not just added types or optional inputs with neutral defaults), from ONNX's
/// Changelog.md. An op missing from the table, a node of another domain, or a subgraph blocks the raise.
enum OpsetRaise {
    static let target = 21

    static let changes: [String: [Int]] = [
        "Conv": [], "ConvTranspose": [], "Gemm": [7], "MatMul": [], "Relu": [], "Sigmoid": [], "Tanh": [],
        "LeakyRelu": [], "HardSigmoid": [], "HardSwish": [], "Erf": [], "Sqrt": [], "Exp": [], "Log": [],
        "Neg": [], "Abs": [], "Reciprocal": [], "Floor": [], "Ceil": [], "Pow": [7],
        "Add": [7], "Sub": [7], "Mul": [7], "Div": [7], "Max": [8], "Min": [8], "Sum": [8], "Mean": [8],
        "Equal": [7], "Greater": [7], "Less": [7], "And": [7], "Or": [7], "Xor": [7], "Not": [], "Where": [],
        "Flatten": [], "Reshape": [], "Transpose": [], "Concat": [], "Gather": [], "Identity": [],
        "Cast": [], "Shape": [], "Expand": [], "Range": [], "ConstantOfShape": [], "Constant": [],
        "GlobalAveragePool": [], "GlobalMaxPool": [], "MaxPool": [8, 10], "AveragePool": [7, 10],
        "Softmax": [13], "LogSoftmax": [13],
        "Squeeze": [13], "Unsqueeze": [13], "Split": [13, 18], "Slice": [10], "Pad": [11],
        "ReduceSum": [13], "ReduceMean": [], "ReduceMax": [], "ReduceMin": [], "ReduceProd": [],
        "ReduceL1": [], "ReduceL2": [], "ReduceLogSum": [], "ReduceLogSumExp": [], "ReduceSumSquare": [],
        "Clip": [11], "Dropout": [12], "BatchNormalization": [7, 9, 14], "LayerNormalization": [],
        "Gelu": [], "PRelu": [7, 9], "LSTM": [7], "GRU": [7], "RNN": [7],
        "DequantizeLinear": [13], "QuantizeLinear": [13], "ArgMax": [12], "ArgMin": [12],
        "Resize": [11, 13, 18, 19], "Round": [], "Tile": [], "Einsum": [],
        "TopK": [10, 11], "CumSum": [], "DepthToSpace": [11], "SpaceToDepth": [28],
        "Softplus": [], "Softsign": [], "Elu": [], "Selu": [], "Celu": [], "ThresholdedRelu": [], "Mish": [],
        "Sin": [], "Cos": [], "Sign": [], "InstanceNormalization": [],
        "Mod": [], "IsNaN": [], "IsInf": [],
        "Trilu": [], "Hardmax": [13],
        "GatherND": [], "ScatterND": [],
    ]

    /// Ops whose change at opset 18 is only the `axes` attribute becoming an input: converted by
    /// `convertNodes`, so they do not block a raise (listed with no changes in `changes`).
    static let axesBecameInput: Set<String> = ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                                               "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"]

    /// Rewrites the nodes whose form changed between `opset` and `target` (see `axesBecameInput`).
    static func convertNodes(_ editor: inout ProtoGraphEditor, from opset: Int, to target: Int) throws {
        guard opset < 18 && target >= 18 else { return }
        for index in editor.graph.node.indices where axesBecameInput.contains(editor.graph.node[index].opType) {
            var node = editor.graph.node[index]
            guard let axes = node.attribute.first(where: { $0.name == "axes" }) else { continue }
            let name = editor.uniqueName((node.output.first ?? node.opType) + "_axes")
            editor.setInitializer(try ProtoBuild.ints(name, axes.ints, shape: [axes.ints.count], dtype: .int64))
            node.attribute.removeAll { $0.name == "axes" }
            node.input = [node.input.first ?? "", name]
            editor.graph.node[index] = node
        }
    }

    /// nil when `graph` (at `opset`) runs the same at opset `target`; else the op that blocks the raise.
    static func blocker(in graph: Onnx_GraphProto, opset: Int, target: Int) -> String? {
        for node in graph.node {
            if !(node.domain.isEmpty || node.domain == "ai.onnx") { return "\(node.opType) (domain \(node.domain))" }
            if node.attribute.contains(where: { $0.hasG || !$0.graphs.isEmpty }) { return "\(node.opType) (subgraphs)" }
            guard let versions = changes[node.opType] else { return node.opType }
            if versions.contains(where: { $0 > opset && $0 <= target }) { return node.opType }
        }
        return nil
    }

    /// Sets the default-domain opset to `target`, and the IR version to at least 10 (which defines int4)
    /// for opset 21, 7 for 13.
    static func raise(_ model: inout Onnx_ModelProto, to target: Int) {
        var found = false
        for index in model.opsetImport.indices where model.opsetImport[index].domain.isEmpty
            || model.opsetImport[index].domain == "ai.onnx" {
            model.opsetImport[index].version = Int64(target)
            found = true
        }
        if !found {
            var entry = Onnx_OperatorSetIdProto()
            entry.version = Int64(target)
            model.opsetImport.append(entry)
        }
        model.irVersion = max(model.irVersion, target >= 21 ? 10 : 7)
    }
}
