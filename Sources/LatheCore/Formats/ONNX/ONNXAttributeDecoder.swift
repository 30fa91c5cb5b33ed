import Foundation

/// Node attributes and `Constant` values from their protobuf form.
///
/// Subgraphs are decoded by `ONNXModelDecoder`, which owns graph decoding.
/// Kinds the graph IR has no place for (type protos, lists of
/// tensors) and tensors of unsupported element types are dropped, not
/// rejected: the node stays, and only a node that actually runs and needs
/// them fails, with the executor's message.
struct ONNXAttributeDecoder {
    let tensors: ONNXTensorDecoder

    /// The attribute's value, or nil when it is of a kind Lathe does not represent.
    func value(of attribute: Onnx_AttributeProto, node: String) throws -> AttributeValue? {
        let what = "attribute '\(attribute.name)' of node '\(node)'"
        switch kind(of: attribute) {
        case .float: return .float(attribute.f)
        case .int: return .int(Int(truncatingIfNeeded: attribute.i))
        case .string: return .string(String(decoding: attribute.s, as: UTF8.self))
        case .floats: return .floats(attribute.floats)
        case .ints: return .ints(attribute.ints.map { Int(truncatingIfNeeded: $0) })
        case .strings: return .strings(attribute.strings.map { String(decoding: $0, as: UTF8.self) })
        case .tensor:
            guard ONNXTensorDecoder.supportedDType(attribute.t) != nil else { return nil }
            return .tensor(try tensors.decode(attribute.t, what: what))
        case .sparseTensor:
            guard ONNXTensorDecoder.supportedDType(attribute.sparseTensor.values) != nil else { return nil }
            return .tensor(try tensors.decode(attribute.sparseTensor, what: what))
        default:
            return nil
        }
    }

    /// The tensor a `Constant` node produces, or nil when its value is not a numeric tensor
    /// (strings, unsupported element types), in which case the node is kept as a node.
    func constantValue(of node: Onnx_NodeProto) throws -> Tensor? {
        guard node.output.count == 1, !node.output[0].isEmpty, node.attribute.count == 1,
              let attribute = node.attribute.first
        else { return nil }
        let name = node.name.isEmpty ? node.output[0] : node.name
        switch (attribute.name, try value(of: attribute, node: name)) {
        case ("value", .tensor(let tensor)?), ("sparse_value", .tensor(let tensor)?):
            return tensor
        case ("value_float", .float(let value)?):
            return Tensor(shape: [], floats: [value])
        case ("value_floats", .floats(let values)?):
            return Tensor(shape: [values.count], floats: values)
        case ("value_int", .int(let value)?):
            return Tensor(shape: [], ints: [Int64(value)])
        case ("value_ints", .ints(let values)?):
            return Tensor(shape: [values.count], ints: values.map { Int64($0) })
        default:
            return nil
        }
    }

    /// The attribute's declared type; files from before IR version 3 lack it, so it is then inferred
    /// from the one field that is set.
    func kind(of attribute: Onnx_AttributeProto) -> Onnx_AttributeProto.AttributeType {
        if attribute.hasType, attribute.type != .undefined { return attribute.type }
        if attribute.hasF { return .float }
        if attribute.hasI { return .int }
        if attribute.hasS { return .string }
        if attribute.hasT { return .tensor }
        if attribute.hasG { return .graph }
        if attribute.hasSparseTensor { return .sparseTensor }
        if attribute.hasTp { return .typeProto }
        if !attribute.floats.isEmpty { return .floats }
        if !attribute.ints.isEmpty { return .ints }
        if !attribute.strings.isEmpty { return .strings }
        if !attribute.tensors.isEmpty { return .tensors }
        if !attribute.graphs.isEmpty { return .graphs }
        return .undefined
    }
}
