import Foundation

/// Edits the main graph of a parsed ONNX file in place, keeping everything the edits do not touch
/// (names, doc strings, metadata, value info, other outputs and fields outside Lathe's schema, which
/// the parser keeps as unknown fields and the serialiser writes back).
struct ProtoGraphEditor {
    var graph: Onnx_GraphProto
    /// Names read by some node (subgraphs included) or declared as outputs before any edit: what became
    /// unread through the edits is removed at the end, and nothing that was unread already.
    private let readBefore: Set<String>
    private var taken: Set<String>

    init(_ graph: Onnx_GraphProto) {
        self.graph = graph
        readBefore = Self.readNames(graph)
        taken = Self.allNames(graph)
    }

    // MARK: looking

    func initializerIndex(_ name: String) -> Int? { graph.initializer.firstIndex { $0.name == name } }

    func producerIndex(_ name: String) -> Int? { graph.node.firstIndex { $0.output.contains(name) } }

    /// Main-graph nodes reading `name` directly.
    func readers(_ name: String) -> [Int] { graph.node.indices.filter { graph.node[$0].input.contains(name) } }

    func isOutput(_ name: String) -> Bool { graph.output.contains { $0.name == name } }

    /// A name not used anywhere in the graph yet, from `base`.
    mutating func uniqueName(_ base: String) -> String {
        var name = base, suffix = 2
        while taken.contains(name) { name = "\(base)_\(suffix)"; suffix += 1 }
        taken.insert(name)
        return name
    }

    // MARK: editing

    /// Adds (or replaces) an initializer.
    mutating func setInitializer(_ tensor: Onnx_TensorProto) {
        taken.insert(tensor.name)
        if let index = initializerIndex(tensor.name) { graph.initializer[index] = tensor } else { graph.initializer.append(tensor) }
    }

    /// Removes whatever defines `name`: its initializer (and its listing as a graph input, as files before
    /// IR version 4 have), or the node producing it. The node's other inputs are left to `dropUnread`.
    mutating func removeDefinition(of name: String) {
        if let index = initializerIndex(name) { graph.initializer.remove(at: index) }
        graph.input.removeAll { $0.name == name }
        if let index = producerIndex(name) { graph.node.remove(at: index) }
    }

    /// Nodes that only read initializers (weight decoders) go first, so the order stays topological.
    mutating func prepend(_ nodes: [Onnx_NodeProto]) {
        graph.node.insert(contentsOf: nodes, at: 0)
        for node in nodes { taken.formUnion(node.output) }
    }

    mutating func insert(_ nodes: [Onnx_NodeProto], before index: Int) {
        graph.node.insert(contentsOf: nodes, at: index)
        for node in nodes { taken.formUnion(node.output) }
    }

    /// Removes the nodes and initializers the edits left unread (read before, not now, not an output),
    /// and the graph-input listings of removed initializers.
    mutating func dropUnread() {
        while true {
            let read = Self.readNames(graph)
            let readBefore = self.readBefore
            func orphaned(_ name: String) -> Bool { readBefore.contains(name) && !read.contains(name) }
            let before = graph.node.count + graph.initializer.count
            graph.node.removeAll { node in
                node.output.allSatisfy { $0.isEmpty || orphaned($0) } && node.output.contains { orphaned($0) }
            }
            let removed = Set(graph.initializer.filter { orphaned($0.name) }.map(\.name))
            graph.initializer.removeAll { removed.contains($0.name) }
            graph.input.removeAll { removed.contains($0.name) }
            if graph.node.count + graph.initializer.count == before { break }
        }
    }

    // MARK: names

    /// Names read by any node of `graph` or of its subgraphs (at any depth), and its outputs.
    static func readNames(_ graph: Onnx_GraphProto) -> Set<String> {
        var names = Set(graph.output.map(\.name))
        for node in graph.node {
            names.formUnion(node.input.filter { !$0.isEmpty })
            for attribute in node.attribute {
                if attribute.hasG { names.formUnion(readNames(attribute.g)) }
                for sub in attribute.graphs { names.formUnion(readNames(sub)) }
            }
        }
        return names
    }

    private static func allNames(_ graph: Onnx_GraphProto) -> Set<String> {
        var names = readNames(graph)
        names.formUnion(graph.initializer.map(\.name))
        names.formUnion(graph.input.map(\.name))
        names.formUnion(graph.valueInfo.map(\.name))
        for node in graph.node {
            names.formUnion(node.output)
            if !node.name.isEmpty { names.insert(node.name) }
        }
        return names
    }
}

/// Small constructors for the protos the rewriters add.
enum ProtoBuild {
    static func node(_ opType: String, name: String, inputs: [String], outputs: [String],
                     attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = opType
        node.name = name
        node.input = inputs
        node.output = outputs
        node.attribute = attributes
        return node
    }

    static func intAttribute(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }

    static func tensor(_ name: String, _ tensor: Tensor) throws -> Onnx_TensorProto {
        try ONNXModelEncoder.encodeTensor(tensor, name: name)
    }

    static func floats(_ name: String, _ values: [Float], shape: [Int], dtype: DType = .float32) throws -> Onnx_TensorProto {
        try tensor(name, Tensor(shape: shape, floats: values, dtype: dtype))
    }

    static func ints(_ name: String, _ values: [Int64], shape: [Int], dtype: DType) throws -> Onnx_TensorProto {
        try tensor(name, Tensor(shape: shape, ints: values, dtype: dtype))
    }
}
