import Foundation
import SwiftProtobuf

/// Writes a `Model` as an ONNX file: every initializer at its dtype (as
/// `raw_data`), nodes with their attributes (subgraphs included), inputs and outputs with types
/// and dimensions, opset imports and IR version, producer `lathe`. The file
/// is replaced atomically, so a failed write never leaves a partial model.
public enum ONNXWriter {
    public static func write(_ model: Model, to path: String) throws {
        let proto = try ONNXModelEncoder.encode(model, path: path)
        let data: Data
        do {
            data = try proto.serializedBytes()
        } catch {
            throw LatheError.internalFailure("cannot serialise the model for \(path): \(error)")
        }
        try AtomicFile.write(data, to: path)
    }
}

/// Maps `Model` to `Onnx_ModelProto`.
enum ONNXModelEncoder {
    /// protobuf messages cannot exceed 2 GiB; larger models need external data, which the writer does not produce.
    static let protobufLimit = Int(Int32.max)

    /// Attributes the executor adds to its own copy of a graph: they describe fused operations no other
    /// runtime understands, so writing them is refused.
    static let internalAttributePrefix = "lathe."

    static func encode(_ model: Model, path: String) throws -> Onnx_ModelProto {
        let weightBytes = model.graph.initializers.values.reduce(0) { $0 + $1.storedBytes }
        guard weightBytes < protobufLimit - (64 << 20) else {
            throw LatheError.badInput(file: path,
                "the model's weights take \(weightBytes) bytes, more than one ONNX file can hold (2 GiB)")
        }
        var proto = Onnx_ModelProto()
        proto.irVersion = Int64(model.irVersion > 0 ? model.irVersion : 8)
        proto.producerName = "lathe"
        var imports = model.opsetImports
        imports[""] = model.opset
        proto.opsetImport = imports.sorted { $0.key < $1.key }.map { domain, version in
            var entry = Onnx_OperatorSetIdProto()
            entry.domain = domain
            entry.version = Int64(version)
            return entry
        }
        proto.graph = try encodeGraph(model.graph, listInitializersAsInputs: proto.irVersion < 4)
        return proto
    }

    /// Before IR version 4, ONNX required every initializer to be declared as a graph input too (never a
    /// subgraph's: its inputs are the parameters its node binds).
    private static func encodeGraph(_ graph: Graph, listInitializersAsInputs: Bool,
                                    name: String = "lathe") throws -> Onnx_GraphProto {
        var proto = Onnx_GraphProto()
        proto.name = name
        proto.node = try graph.nodes.map(encodeNode)
        proto.initializer = try graph.initializers.sorted { $0.key < $1.key }.map { name, tensor in
            try encodeTensor(tensor, name: name)
        }
        proto.input = graph.inputs.map(encodeValueInfo)
        if listInitializersAsInputs {
            proto.input += graph.initializers.sorted { $0.key < $1.key }.map { name, tensor in
                encodeValueInfo(ValueInfo(name: name, dtype: tensor.dtype, dims: tensor.shape.map { .fixed($0) }))
            }
        }
        proto.output = graph.outputs.map(encodeValueInfo)
        return proto
    }

    private static func encodeNode(_ node: Node) throws -> Onnx_NodeProto {
        var proto = Onnx_NodeProto()
        if !node.name.isEmpty { proto.name = node.name }
        proto.opType = node.opType
        if !node.domain.isEmpty { proto.domain = node.domain }
        proto.input = node.inputs
        proto.output = node.outputs
        for (name, value) in node.attributes.sorted(by: { $0.key < $1.key }) {
            if name.hasPrefix(internalAttributePrefix) {
                throw LatheError.internalFailure(
                    "node '\(node.displayName)' carries Lathe's internal attribute '\(name)'; write the unfused graph")
            }
            proto.attribute.append(try encodeAttribute(value, name: name))
        }
        return proto
    }

    private static func encodeAttribute(_ value: AttributeValue, name: String) throws -> Onnx_AttributeProto {
        var proto = Onnx_AttributeProto()
        proto.name = name
        switch value {
        case .int(let v): proto.type = .int; proto.i = Int64(v)
        case .float(let v): proto.type = .float; proto.f = v
        case .string(let v): proto.type = .string; proto.s = Data(v.utf8)
        case .ints(let v): proto.type = .ints; proto.ints = v.map { Int64($0) }
        case .floats(let v): proto.type = .floats; proto.floats = v
        case .strings(let v): proto.type = .strings; proto.strings = v.map { Data($0.utf8) }
        case .tensor(let v): proto.type = .tensor; proto.t = try encodeTensor(v, name: "")
        case .graph(let v):
            proto.type = .graph
            proto.g = try encodeGraph(v, listInitializersAsInputs: false, name: name)
        case .graphs(let v):
            proto.type = .graphs
            proto.graphs = try v.enumerated().map { index, graph in
                try encodeGraph(graph, listInitializersAsInputs: false, name: "\(name)_\(index)")
            }
        }
        return proto
    }

    static func encodeTensor(_ tensor: Tensor, name: String) throws -> Onnx_TensorProto {
        let held = tensor.isFloat ? tensor.floats.count : tensor.ints.count
        guard ElementCount.of(tensor.shape) == held else {
            throw LatheError.internalFailure("tensor '\(name)' of shape \(tensor.shape) holds \(held) elements")
        }
        var proto = Onnx_TensorProto()
        if !name.isEmpty { proto.name = name }
        proto.dims = tensor.shape.map { Int64($0) }
        proto.dataType = Int32(tensor.dtype.onnxCode)
        proto.rawData = ElementCodec.encode(tensor)
        return proto
    }

    private static func encodeValueInfo(_ info: ValueInfo) -> Onnx_ValueInfoProto {
        var proto = Onnx_ValueInfoProto()
        proto.name = info.name
        guard let dtype = info.dtype else { return proto } // not a tensor, or unknown: leave the type out
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(dtype.onnxCode)
        if let dims = info.dims {
            var shape = Onnx_TensorShapeProto()
            shape.dim = dims.map { dim in
                var encoded = Onnx_TensorShapeProto.Dimension()
                switch dim {
                case .fixed(let size): encoded.dimValue = Int64(size)
                case .symbolic(let name) where name != "?" && !name.isEmpty: encoded.dimParam = name
                case .symbolic: break // unknown: a dimension with neither value nor name
                }
                return encoded
            }
            tensorType.shape = shape
        }
        proto.type.tensorType = tensorType
        return proto
    }
}
