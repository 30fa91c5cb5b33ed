/// Makes the kernel of an op that runs subgraphs from the kernels those
/// subgraphs use (see `OpRegistry`).
typealias SubgraphKernelMaker = @Sendable (_ bodies: SubgraphKernels) -> Kernel

/// The kernels a subgraph runs with: the table of the graph around it.
struct SubgraphKernels: Sendable {
    /// Every op's kernel except those running subgraphs.
    let plain: [String: Kernel]
    let opset: Int
    /// Makers of a step's own kernel for some ops (`OpRegistry.perStepKernels`): a Loop runs each body step
    /// hundreds of times with the same shapes, what those kernels remember. Empty for a hand-made table.
    var perStep: [String: @Sendable () -> Kernel] = [:]

    /// The full table, control flow included (nested `If` in a `Scan` body). Built when a subgraph runs
    /// rather than stored: a table holding kernels that hold the table would have to be a reference cycle.
    var table: [String: Kernel] { OpRegistry.addingSubgraphOps(to: plain, opset: opset, perStep: perStep) }
}

/// `If`, `Loop` and `Scan`: the ops whose attributes are graphs.
enum ControlFlow {
    /// The subgraph attribute `key` of `node`.
    static func subgraph(_ node: Node, _ key: String) throws -> Graph {
        guard let graph = node.graph(key) else { throw node.kernelError("has no subgraph attribute '\(key)'") }
        return graph
    }

    /// The truth of a one-element condition tensor (bool, or any number: non-zero is true).
    static func truth(_ tensor: Tensor, _ node: Node, _ role: String) throws -> Bool {
        guard tensor.count == 1 else {
            throw node.kernelError("\(role) must hold a single value, got shape \(tensor.shape)")
        }
        return tensor.isFloat ? tensor.floats[0] != 0 : tensor.ints[0] != 0
    }

    static func boolean(_ value: Bool) -> Tensor { .boolean(shape: [], [value ? 1 : 0]) }

    /// The node's inputs split into those ONNX declares and the captured outer values
    /// (`SubgraphCaptures`), which every subgraph of the node takes as its last inputs.
    /// `node`'s `body` compiled with the kernels of `bodies`, its steps that read only `fixed` values (by input
    /// position), constants and each other's results already run (`SubgraphProgram.hoisting`).
    static func hoistedBody(_ body: Graph, of node: Node, _ bodies: SubgraphKernels,
                            fixed: [Int: Tensor]) throws -> SubgraphProgram.Hoisted {
        try SubgraphProgram(body, owner: node, attribute: "body", kernels: bodies.table, perStepKernels: bodies.perStep,
                            invariantInputs: Set(fixed.keys)).hoisting(fixed)
    }

    /// `values` keyed by subgraph input position, the first at `first` (a body's captured values follow its
    /// declared inputs), for `SubgraphProgram.hoisting`.
    static func byPosition(_ values: [Tensor], from first: Int) -> [Int: Tensor] {
        Dictionary(uniqueKeysWithValues: values.enumerated().map { (first + $0.offset, $0.element) })
    }

    static func split(_ node: Node, _ inputs: [Tensor?]) throws -> (declared: [Tensor?], captures: [Tensor?]) {
        let count = SubgraphCaptures.count(of: node)
        guard count >= 0, count <= inputs.count else {
            throw node.kernelError("has \(inputs.count) inputs but \(count) captured values")
        }
        return (Array(inputs.dropLast(count)), Array(inputs.suffix(count)))
    }
}
