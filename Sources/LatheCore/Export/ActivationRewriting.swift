/// Activation quantization (`abits`) in an export: Lathe quantizes a layer's data input with the
/// asymmetric per-tensor grid calibrated on the data (`ActivationQuantizer`):
/// `q = clamp(round(x/s) + zp, 0, 2^b − 1)`, `x' = (q − zp)·s`, in float32, half to even.
///
/// - 8 bits (QDQ export): QuantizeLinear → DequantizeLinear with a uint8 zero point, which computes
///   exactly that (uint8 saturation is the clamp to 0…255);
/// - other widths, and the fake export: the same arithmetic as float ops, Div → Round → Add → Clip →
///   Sub → Mul, because uint8 saturation would not clamp to 0…2^b − 1 (needs opset 11 for Round and
///   Clip's min/max inputs).
///
/// The chain is inserted before the layer's node, which alone reads its output, so other readers of
/// the same value keep the float activation, as in Lathe.
enum ActivationRewriting {
    static func apply(_ quantizers: [String: ActivationQuantizer], sites: [LayerSite], format: ExportFormat,
                      opset: Int, editor: inout ProtoGraphEditor) throws -> [String] {
        var notes: [String] = []
        for site in sites {
            guard let quantizer = quantizers[site.layer.name] else { continue }
            guard let index = LayerSites.nodeIndex(site.nodeKey, in: editor),
                  site.dataPosition < editor.graph.node[index].input.count else {
                throw LatheError.internalFailure("layer \(site.layer.name): its node is gone")
            }
            let data = editor.graph.node[index].input[site.dataPosition]
            guard case let .asymmetric(levels, scale, zeroPoint) = quantizer.grid else { continue }
            let base = editor.uniqueName(data + "_" + site.layer.name + "_act")
            let scaleName = editor.uniqueName(base + "_scale")
            editor.setInitializer(try ProtoBuild.floats(scaleName, [scale], shape: []))
            let output = editor.uniqueName(base + "_quantized")
            var chain: [Onnx_NodeProto]
            if quantizer.bits == 8 && format == .qdq && opset >= 10 {
                let zeroName = editor.uniqueName(base + "_zero_point")
                editor.setInitializer(try ProtoBuild.ints(zeroName, [Int64(zeroPoint)], shape: [], dtype: .uint8))
                let codes = editor.uniqueName(base + "_codes")
                chain = [
                    ProtoBuild.node("QuantizeLinear", name: editor.uniqueName(base + "_QuantizeLinear"),
                                    inputs: [data, scaleName, zeroName], outputs: [codes]),
                    ProtoBuild.node("DequantizeLinear", name: editor.uniqueName(base + "_DequantizeLinear"),
                                    inputs: [codes, scaleName, zeroName], outputs: [output]),
                ]
            } else {
                guard opset >= 11 else {
                    throw LatheError.badInput("layer \(site.layer.name): \(quantizer.bits)-bit activations need "
                        + "opset 11 or later to export (Round, Clip with inputs); the model uses opset \(opset)")
                }
                let zeroName = editor.uniqueName(base + "_zero_point_f")
                let lowName = editor.uniqueName(base + "_low")
                let highName = editor.uniqueName(base + "_high")
                editor.setInitializer(try ProtoBuild.floats(zeroName, [zeroPoint], shape: []))
                editor.setInitializer(try ProtoBuild.floats(lowName, [0], shape: []))
                editor.setInitializer(try ProtoBuild.floats(highName, [levels], shape: []))
                let steps = ["divided", "rounded", "shifted", "clamped", "centred"].map { editor.uniqueName(base + "_" + $0) }
                func step(_ op: String, _ inputs: [String], _ out: String) -> Onnx_NodeProto {
                    ProtoBuild.node(op, name: editor.uniqueName(out + "_" + op), inputs: inputs, outputs: [out])
                }
                chain = [
                    step("Div", [data, scaleName], steps[0]),
                    step("Round", [steps[0]], steps[1]),
                    step("Add", [steps[1], zeroName], steps[2]),
                    step("Clip", [steps[2], lowName, highName], steps[3]),
                    step("Sub", [steps[3], zeroName], steps[4]),
                    step("Mul", [steps[4], scaleName], output),
                ]
                if quantizer.bits == 8 && format == .qdq {
                    notes.append("layer \(site.layer.name): 8-bit activations as float arithmetic (opset < 10)")
                }
            }
            editor.insert(chain, before: index)
            let moved = index + chain.count
            editor.graph.node[moved].input[site.dataPosition] = output
        }
        return notes
    }
}
