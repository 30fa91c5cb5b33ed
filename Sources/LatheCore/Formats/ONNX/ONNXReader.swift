import Foundation
import SwiftProtobuf

/// Reads ONNX model files into the graph IR.
///
/// - Weights come from initializers, sparse initializers and `Constant` nodes
///   (which become initializers and leave the node list), stored as raw bytes,
///   typed fields or external data files.
/// - Initializers also listed as graph inputs are weights, not inputs.
/// - Nodes end up in topological order (a node reading outer values from its
///   subgraphs comes after their producers).
/// - Subgraphs (`If` branches, `Loop` and `Scan` bodies) are graphs of their
///   own, read the same way.
/// - Anything wrong with the file is a `LatheError.badInput` naming it.
public enum ONNXReader {
    public static func read(path: String) throws -> Model {
        let data = try FileInput.contents(of: path)
        let proto = try parse(data, path: path)
        return try ONNXModelDecoder(path: path).model(from: proto)
    }

    /// Parses the protobuf, translating decoder failures into messages a user can act on.
    /// - Parameter keepUnknownFields: keep fields outside the subset schema, so that writing the message
    ///   back (an export) reproduces them.
    static func parse(_ data: Data, path: String, keepUnknownFields: Bool = false) throws -> Onnx_ModelProto {
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = !keepUnknownFields // fields outside the subset schema are never used
        if let lifted = InitializerBytes.lift(data),
           var proto = try? Onnx_ModelProto(serializedBytes: lifted.stripped, options: options),
           InitializerBytes.restore(&proto, lifted, from: data) {
            return proto
        }
        do {
            return try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch let error as BinaryDecodingError {
            let reason: String
            switch error {
            case .truncated: reason = "the data ends in the middle of a field (truncated or corrupt file)"
            case .invalidUTF8: reason = "a text field is not valid UTF-8"
            case .messageDepthLimit: reason = "messages are nested too deeply"
            default: reason = "the bytes are not a valid protobuf message"
            }
            throw LatheError.badInput(file: path, "not a valid ONNX model: \(reason)")
        } catch {
            throw LatheError.badInput(file: path, "not a valid ONNX model: \(error)")
        }
    }
}

/// Maps a parsed `ModelProto` to `Model`.
struct ONNXModelDecoder {
    let path: String
    private let tensors: ONNXTensorDecoder
    private let attributes: ONNXAttributeDecoder

    init(path: String) {
        self.path = path
        tensors = ONNXTensorDecoder(path: path, externalData: ExternalDataFiles(modelPath: path))
        attributes = ONNXAttributeDecoder(tensors: tensors)
    }

    func model(from proto: Onnx_ModelProto) throws -> Model {
        // Protobuf accepts many byte strings as messages made of unknown fields; a real model has a graph
        // with something in it.
        guard proto.hasGraph, !proto.graph.node.isEmpty || !proto.graph.output.isEmpty else {
            throw problem("not an ONNX model: it contains no graph")
        }
        let graph = try decodeGraph(proto.graph)
        var imports: [String: Int] = [:]
        for entry in proto.opsetImport {
            let domain = entry.domain == "ai.onnx" ? "" : entry.domain
            imports[domain] = Int(truncatingIfNeeded: entry.version)
        }
        // Files from before opset imports existed (IR version < 3) implicitly use opset 1.
        let opset = imports[""] ?? 1
        return Model(graph: graph, opset: opset, opsetImports: imports,
                     irVersion: Int(truncatingIfNeeded: proto.irVersion), producerName: proto.producerName,
                     path: path)
    }

    private func decodeGraph(_ proto: Onnx_GraphProto) throws -> Graph {
        var initializers: [String: Tensor] = [:]
        func define(_ name: String, _ tensor: Tensor, what: String) throws {
            guard !name.isEmpty else { throw problem("\(what) has no name") }
            guard initializers.updateValue(tensor, forKey: name) == nil else {
                throw problem("tensor '\(name)' is defined twice")
            }
        }
        for initializer in proto.initializer {
            let what = "initializer '\(initializer.name)'"
            try define(initializer.name, try tensors.decode(initializer, what: what), what: what)
        }
        for sparse in proto.sparseInitializer {
            let what = "sparse initializer '\(sparse.values.name)'"
            try define(sparse.values.name, try tensors.decode(sparse, what: what), what: what)
        }

        var nodes: [Node] = []
        nodes.reserveCapacity(proto.node.count)
        for nodeProto in proto.node {
            let domain = nodeProto.domain == "ai.onnx" ? "" : nodeProto.domain
            if nodeProto.opType == "Constant", domain == "",
               let value = try attributes.constantValue(of: nodeProto) {
                try define(nodeProto.output[0], value, what: "Constant node '\(nodeProto.name)'")
                continue
            }
            nodes.append(try decodeNode(nodeProto, domain: domain))
        }
        do {
            nodes = try TopologicalOrder.sorted(nodes)
        } catch .producedTwice(let name) {
            throw problem("tensor '\(name)' is produced by more than one node")
        } catch .cycle(let name) {
            throw problem("the graph has a cycle through node '\(name)'")
        }

        let inputs = proto.input.filter { initializers[$0.name] == nil }.map(valueInfo)
        let outputs = proto.output.map(valueInfo)
        return Graph(nodes: nodes, initializers: initializers, inputs: inputs, outputs: outputs)
    }

    private func decodeNode(_ proto: Onnx_NodeProto, domain: String) throws -> Node {
        var node = Node(name: proto.name, opType: proto.opType, domain: domain, inputs: proto.input,
                        outputs: proto.output)
        guard !proto.opType.isEmpty else { throw problem("node '\(node.displayName)' has no operator type") }
        for attribute in proto.attribute {
            switch attributes.kind(of: attribute) {
            case .graph:
                node.attributes[attribute.name] = .graph(try decodeGraph(attribute.g))
                continue
            case .graphs:
                node.attributes[attribute.name] = .graphs(try attribute.graphs.map(decodeGraph))
                continue
            default:
                break
            }
            if let value = try attributes.value(of: attribute, node: node.displayName) {
                node.attributes[attribute.name] = value
            }
        }
        return node
    }

    private func valueInfo(_ proto: Onnx_ValueInfoProto) -> ValueInfo {
        guard case .tensorType(let type)? = proto.type.value else {
            return ValueInfo(name: proto.name, dtype: nil, dims: nil) // sequences, maps: not tensors
        }
        let dims: [Dimension]? = type.hasShape ? type.shape.dim.map { dim in
            switch dim.value {
            case .dimValue(let value)? where value >= 0: return .fixed(Int(truncatingIfNeeded: value))
            case .dimParam(let name)? where !name.isEmpty: return .symbolic(name)
            default: return .symbolic("?")
            }
        } : nil
        return ValueInfo(name: proto.name, dtype: DType(onnxCode: Int(type.elemType)), dims: dims)
    }

    private func problem(_ message: String) -> LatheError { LatheError.badInput(file: path, message) }
}
