/// Writes the biases bias correction gave layers that had none (`AddedBias`) into the exported
/// graph, so onnxruntime computes what `lathe eval --config` ran: a Conv's, ConvTranspose's or
/// Gemm's omitted bias input takes it (a Gemm's beta set to 1, which an absent C left
/// meaningless); a MatMul's output goes through an Add of it ([C] for X·W, [C, 1] for W·X).
enum AddedBiasWriting {
    static func apply(_ compressed: [String: Tensor], sites: inout [LayerSite], editor: inout ProtoGraphEditor) throws {
        for index in sites.indices {
            let site = sites[index]
            guard let bias = compressed[AddedBias.name(for: site.layer.name)] else { continue }
            guard let nodeIndex = LayerSites.nodeIndex(site.nodeKey, in: editor) else {
                throw LatheError.internalFailure("layer \(site.layer.name): its node is missing from the export")
            }
            var node = editor.graph.node[nodeIndex]
            let name = editor.uniqueName(site.layer.name + "_lathe_bias")
            switch node.opType {
            case "Conv", "ConvTranspose", "Gemm":
                guard node.input.count < 3 || node.input[2].isEmpty else {
                    throw LatheError.internalFailure("layer \(site.layer.name): its node has a bias already")
                }
                editor.setInitializer(try ProtoBuild.tensor(name, bias))
                node.setBiasInput(name)
                editor.graph.node[nodeIndex] = node
            case "MatMul":
                let weightOnLeft = site.dataPosition == 1
                let shape = weightOnLeft ? [bias.count, 1] : [bias.count]
                editor.setInitializer(try ProtoBuild.tensor(name, Tensor(shape: shape, floats: bias.floats)))
                let output = site.nodeKey
                let unbiased = editor.uniqueName(output + "_before_lathe_bias")
                node.output[0] = unbiased
                editor.graph.node[nodeIndex] = node
                editor.insert([ProtoBuild.node("Add", name: editor.uniqueName(name + "_add"),
                                               inputs: [unbiased, name], outputs: [output])],
                              before: nodeIndex + 1)
                sites[index].nodeKey = unbiased
            default:
                throw LatheError.internalFailure("layer \(site.layer.name): an added bias does not apply to "
                    + node.opType)
            }
        }
    }
}
