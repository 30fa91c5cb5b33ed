/// QDQ export of one layer's weight: the value its node reads is computed from compact storage by
/// standard ops, so any ONNX runtime gets exactly the weights Lathe evaluated.
///
/// - integers: `codes` (int8/uint8/int4/uint4) → DequantizeLinear(codes, scale[, zero_point], axis) with
///   per-channel scales along the layer's channel axis, or scalar ones; symmetric grids have no zero point;
/// - halves: float16/bfloat16 initializer → Cast(to float);
/// - codebooks: uint8 indices → Cast(to int32) → Gather(codebook, indices) (the codebook of a share
///   group is one initializer read by every member);
/// - nf4 / pow2 levels: uint8 (or uint4) indices → Cast(to int32) → Gather(unit levels, indices) →
///   Mul(scale), the scale shaped to broadcast along the channel axis (a scalar per tensor): the same
///   Gather path as codebooks, with the block's scale applied after it.
/// - low-rank factors: each factor stored as above, MatMul(A, B) rebuilding the weight (`LowRankEncoding`).
enum QDQWeightRewriting {
    /// Places `encoding` for `site`; returns the initializer names now holding the layer (a shared codebook
    /// is returned by the first member only, so sums count it once).
    static func place(_ encoding: WeightEncoding, site: LayerSite, codebooks: [String: [Float]],
                      codebookNames: inout [String: String], editor: inout ProtoGraphEditor) throws -> [String] {
        let value = site.valueName
        let base = site.layer.name == value ? value : site.layer.name
        switch encoding {
        case .unchanged:
            return []
        case .float(let values):
            return try FakeWeightRewriting.place(values, site: site, editor: &editor)
        case .integer(let weight, let dtype):
            editor.removeDefinition(of: value)
            // The codes keep the layer's name when the value read is another one (an already-quantized file).
            let codesName = site.layer.name == value ? editor.uniqueName(value + "_quantized") : base
            let scaleName = editor.uniqueName(base + "_scale")
            let scaleShape = weight.axis == nil ? [] : [weight.scales.count]
            editor.setInitializer(try ProtoBuild.ints(codesName, weight.codes.map(Int64.init), shape: weight.shape,
                                                      dtype: dtype))
            editor.setInitializer(try ProtoBuild.floats(scaleName, weight.scales, shape: scaleShape))
            var inputs = [codesName, scaleName]
            var names = [codesName, scaleName]
            if !weight.signed {
                let zeroName = editor.uniqueName(base + "_zero_point")
                editor.setInitializer(try ProtoBuild.ints(zeroName, weight.zeroPoints.map(Int64.init), shape: scaleShape,
                                                          dtype: dtype))
                inputs.append(zeroName)
                names.append(zeroName)
            }
            var attributes: [Onnx_AttributeProto] = []
            if let axis = weight.axis { attributes.append(ProtoBuild.intAttribute("axis", axis)) }
            editor.prepend([ProtoBuild.node("DequantizeLinear", name: editor.uniqueName(base + "_DequantizeLinear"),
                                            inputs: inputs, outputs: [value], attributes: attributes)])
            return names
        case .half(let values, let dtype):
            editor.removeDefinition(of: value)
            let storedName = editor.uniqueName(base + (dtype == .float16 ? "_fp16" : "_bf16"))
            editor.setInitializer(try ProtoBuild.floats(storedName, values, shape: site.layer.shape, dtype: dtype))
            editor.prepend([ProtoBuild.node("Cast", name: editor.uniqueName(base + "_Cast"), inputs: [storedName],
                                            outputs: [value], attributes: [ProtoBuild.intAttribute("to", 1)])])
            return [storedName]
        case .levels(let weight, let dtype):
            editor.removeDefinition(of: value)
            let levelsName = editor.uniqueName(base + "_levels")
            let indicesName = editor.uniqueName(base + "_indices")
            let scaleName = editor.uniqueName(base + "_scale")
            let wideName = editor.uniqueName(base + "_indices_int32")
            let gatheredName = editor.uniqueName(base + "_unit")
            editor.setInitializer(try ProtoBuild.floats(levelsName, weight.unitLevels, shape: [weight.unitLevels.count]))
            editor.setInitializer(try ProtoBuild.ints(indicesName, weight.indices.map(Int64.init), shape: weight.shape,
                                                      dtype: dtype))
            editor.setInitializer(try ProtoBuild.floats(scaleName, weight.scales, shape: weight.scaleShape))
            editor.prepend([
                ProtoBuild.node("Cast", name: editor.uniqueName(base + "_indices_Cast"), inputs: [indicesName],
                                outputs: [wideName], attributes: [ProtoBuild.intAttribute("to", 6)]),
                ProtoBuild.node("Gather", name: editor.uniqueName(base + "_Gather"), inputs: [levelsName, wideName],
                                outputs: [gatheredName], attributes: [ProtoBuild.intAttribute("axis", 0)]),
                ProtoBuild.node("Mul", name: editor.uniqueName(base + "_Mul"), inputs: [gatheredName, scaleName],
                                outputs: [value]),
            ])
            return [levelsName, indicesName, scaleName]
        case .lowRank(let encoding):
            return try encoding.place(site: site, editor: &editor)
        case .codebook(let group, let indices):
            editor.removeDefinition(of: value)
            var names: [String] = []
            let codebookName: String
            if let existing = codebookNames[group] {
                codebookName = existing
            } else {
                guard let codebook = codebooks[group] else {
                    throw LatheError.internalFailure("no codebook for \(group)")
                }
                codebookName = editor.uniqueName(base + "_codebook")
                editor.setInitializer(try ProtoBuild.floats(codebookName, codebook, shape: [codebook.count]))
                codebookNames[group] = codebookName
                names.append(codebookName)
            }
            let indicesName = editor.uniqueName(base + "_indices")
            let wideName = editor.uniqueName(base + "_indices_int32")
            editor.setInitializer(try ProtoBuild.ints(indicesName, indices.map(Int64.init), shape: site.layer.shape,
                                                      dtype: .uint8))
            names.append(indicesName)
            editor.prepend([
                ProtoBuild.node("Cast", name: editor.uniqueName(base + "_indices_Cast"), inputs: [indicesName],
                                outputs: [wideName], attributes: [ProtoBuild.intAttribute("to", 6)]),
                ProtoBuild.node("Gather", name: editor.uniqueName(base + "_Gather"), inputs: [codebookName, wideName],
                                outputs: [value], attributes: [ProtoBuild.intAttribute("axis", 0)]),
            ])
            return names
        }
    }
}
