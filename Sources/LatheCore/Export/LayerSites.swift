/// Where each layer of the session lives in the input file's main graph: the value its node reads as the
/// weight, the node itself, and which input is the data. Lathe's load passes keep layer inputs under
/// their names, so the file's node reading the layer's weight (directly, through an Identity, or through
/// the DequantizeLinear of an already-quantized weight) is the node the engine runs.
struct LayerSite: Sendable {
    var layer: WeightLayer
    /// The value the layer's node reads as its weight (the layer name, or the DequantizeLinear output).
    var valueName: String
    /// The node's first output, which identifies it across edits (node indices shift).
    var nodeKey: String
    var dataPosition: Int
}

enum LayerSites {
    static func find(in editor: ProtoGraphEditor, session: InferenceSession) throws -> [LayerSite] {
        var sites: [LayerSite] = []
        for layer in session.layers {
            let binding = session.bindings.first { $0.layerName == layer.name }
            var valueName = layer.name
            if layer.stored != nil, let dq = editor.graph.node.first(where: {
                $0.opType == "DequantizeLinear" && $0.input.first == layer.name && !$0.output.isEmpty
            }) {
                valueName = dq.output[0]
            }
            guard let node = consumer(of: valueName, op: layer.op.rawValue, in: editor, depth: 0),
                  let key = node.output.first
            else {
                throw LatheError.internalFailure("layer \(layer.name): no \(layer.op.rawValue) node of the model reads it")
            }
            sites.append(LayerSite(layer: layer, valueName: valueName, nodeKey: key,
                                   dataPosition: binding?.dataPosition ?? 0))
        }
        return sites
    }

    /// The `op` node reading `name`, possibly through Identity nodes.
    private static func consumer(of name: String, op: String, in editor: ProtoGraphEditor, depth: Int) -> Onnx_NodeProto? {
        let readers = editor.readers(name).map { editor.graph.node[$0] }
        if let direct = readers.first(where: { $0.opType == op }) { return direct }
        guard depth < 8 else { return nil }
        for identity in readers where identity.opType == "Identity" {
            if let output = identity.output.first, let found = consumer(of: output, op: op, in: editor, depth: depth + 1) {
                return found
            }
        }
        return nil
    }

    static func nodeIndex(_ key: String, in editor: ProtoGraphEditor) -> Int? {
        editor.graph.node.firstIndex { $0.output.first == key }
    }
}

/// Folds into the file's graph the BatchNormalizations Lathe folded at load, so the exported graph is
/// the one Lathe ran: the layer's node takes the BN's output name, its bias becomes the folded bias
/// (value from the session), and the BN node goes. The folded weight itself is written by the weight
/// rewriting (`foldedLayers` tells it which unchanged layers need their deployed value).
enum BatchNormAlignment {
    static func apply(_ editor: inout ProtoGraphEditor, sites: inout [LayerSite],
                      session: InferenceSession) throws -> Set<String> {
        let remainingBatchNorms = Set(session.graph.nodes.filter { $0.opType == "BatchNormalization" }
            .compactMap(\.outputs.first))
        var folded = Set<String>()
        for index in sites.indices {
            let site = sites[index]
            guard ["Conv", "ConvTranspose", "Gemm"].contains(site.layer.op.rawValue),
                  let nodeIndex = LayerSites.nodeIndex(site.nodeKey, in: editor) else { continue }
            let x = site.nodeKey
            let readers = editor.readers(x)
            guard let bnIndex = readers.first(where: { editor.graph.node[$0].opType == "BatchNormalization" }),
                  let bnOutput = editor.graph.node[bnIndex].output.first,
                  !remainingBatchNorms.contains(bnOutput) else { continue }
            guard readers.count == 1, !editor.isOutput(x) else {
                throw LatheError.badInput("layer \(site.layer.name): Lathe folded the BatchNormalization after it, "
                    + "but its output '\(x)' is also read elsewhere in the file (another output); the folded "
                    + "graph cannot keep that value, so it cannot be exported")
            }
            guard let binding = session.bindings.first(where: { $0.layerName == site.layer.name }),
                  binding.nodeIndex < session.graph.nodes.count,
                  let biasName = session.graph.nodes[binding.nodeIndex].input(2),
                  let bias = session.weights[biasName]
            else { throw LatheError.internalFailure("layer \(site.layer.name): the folded bias is missing") }
            editor.setInitializer(try ProtoBuild.tensor(biasName, bias))
            var node = editor.graph.node[nodeIndex]
            node.setBiasInput(biasName)
            node.output[0] = bnOutput
            editor.graph.node[nodeIndex] = node
            editor.graph.node.remove(at: bnIndex)
            sites[index].nodeKey = bnOutput
            folded.insert(site.layer.name)
        }
        editor.dropUnread()
        return folded
    }
}
