/// An attribute of a graph node, as ONNX defines them. Subgraphs (the bodies
/// of `If`, `Loop`, `Scan`) are graphs of their own whose nodes may read
/// values of the enclosing scopes by name (see `Subgraphs.swift`).
public enum AttributeValue: Sendable, Equatable {
    case int(Int)
    case float(Float)
    case string(String)
    case ints([Int])
    case floats([Float])
    case strings([String])
    case tensor(Tensor)
    case graph(Graph)
    case graphs([Graph])
}

public struct Node: Sendable, Equatable {
    public var name: String
    public var opType: String
    public var domain: String
    /// Tensor names; "" marks an omitted optional input.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: AttributeValue]

    public init(name: String = "", opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: AttributeValue] = [:]) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    public func int(_ key: String) -> Int? {
        if case .int(let v)? = attributes[key] { return v }
        return nil
    }
    public func int(_ key: String, default value: Int) -> Int { int(key) ?? value }
    public func float(_ key: String) -> Float? {
        switch attributes[key] {
        case .float(let v)?: return v
        case .int(let v)?: return Float(v)
        default: return nil
        }
    }
    public func float(_ key: String, default value: Float) -> Float { float(key) ?? value }
    public func ints(_ key: String) -> [Int]? {
        if case .ints(let v)? = attributes[key] { return v }
        return nil
    }
    public func floats(_ key: String) -> [Float]? {
        if case .floats(let v)? = attributes[key] { return v }
        return nil
    }
    public func string(_ key: String) -> String? {
        if case .string(let v)? = attributes[key] { return v }
        return nil
    }
    public func tensor(_ key: String) -> Tensor? {
        if case .tensor(let v)? = attributes[key] { return v }
        return nil
    }

    public func graph(_ key: String) -> Graph? {
        if case .graph(let v)? = attributes[key] { return v }
        return nil
    }

    /// How the node is named in messages: its name, else its first output.
    public var displayName: String { name.isEmpty ? (outputs.first ?? opType) : name }
}

/// A dimension of a declared graph input/output.
public enum Dimension: Sendable, Equatable {
    case fixed(Int)
    /// Symbolic (`"batch"`), `-1`/`?` or absent: resolved from the dataset.
    case symbolic(String)
}

public struct ValueInfo: Sendable, Equatable {
    public var name: String
    public var dtype: DType?
    /// nil when the file gives no shape at all.
    public var dims: [Dimension]?

    public init(name: String, dtype: DType?, dims: [Dimension]?) {
        self.name = name
        self.dtype = dtype
        self.dims = dims
    }
}

/// The computation graph: nodes in topological order, weights by tensor name.
/// A subgraph has the same form; its `inputs` are the parameters its node
/// binds (a Loop body's iteration number, condition and carried values).
public struct Graph: Sendable, Equatable {
    public var nodes: [Node]
    public var initializers: [String: Tensor]
    /// Real inputs only (names that are initializers are removed).
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]

    public init(nodes: [Node], initializers: [String: Tensor], inputs: [ValueInfo], outputs: [ValueInfo]) {
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// A loaded model: the graph plus what the file said about itself.
public struct Model: Sendable {
    public var graph: Graph
    /// Opset version of the default ("" / "ai.onnx") domain.
    public var opset: Int
    /// Every imported opset by domain.
    public var opsetImports: [String: Int]
    public var irVersion: Int
    public var producerName: String
    /// Path the model was read from (for messages).
    public var path: String

    public init(graph: Graph, opset: Int, opsetImports: [String: Int] = [:], irVersion: Int = 8,
                producerName: String = "", path: String = "") {
        self.graph = graph
        self.opset = opset
        self.opsetImports = opsetImports
        self.irVersion = irVersion
        self.producerName = producerName
        self.path = path
    }
}
