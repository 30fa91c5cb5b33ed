/// A subgraph compiled to numbered slots, as `CompiledGraph` does for the
/// main graph: compiled once per kernel call and run once per `Loop`
/// iteration or `Scan` step. The subgraph must be closed (its outer values
/// passed as inputs, see `SubgraphCaptures`). Errors name the owning node.
struct SubgraphProgram {
    private struct Step {
        let node: Node
        let kernel: Kernel
        /// Slot per node input; -1 for an omitted one.
        let inputs: [Int]
        /// Slot per node output; -1 for an omitted one.
        let outputs: [Int]
    }

    private let owner: Node
    private let place: String
    /// Initial slot contents: the subgraph's initializers.
    private let constants: [Tensor?]
    private let inputSlots: [Int]
    private let outputSlots: [Int]
    private let steps: [Step]
    /// Reads of each slot in one run (outputs count as a read that never happens, so they are kept).
    private let reads: [Int]

    /// Number of inputs a run takes.
    var inputCount: Int { inputSlots.count }
    var outputCount: Int { outputSlots.count }

    init(_ graph: Graph, owner: Node, attribute: String, kernels: [String: Kernel]) throws {
        let place = "its \(attribute)"
        var slotOfName: [String: Int] = [:]
        var constants: [Tensor?] = []
        func slot(_ name: String) -> Int {
            if let existing = slotOfName[name] { return existing }
            slotOfName[name] = constants.count
            constants.append(nil)
            return constants.count - 1
        }
        let inputSlots = graph.inputs.map { slot($0.name) }
        for (name, tensor) in graph.initializers.sorted(by: { $0.key < $1.key }) { constants[slot(name)] = tensor }
        var steps: [Step] = []
        var reads: [Int] = []
        for node in graph.nodes {
            guard node.isDefaultDomain, let kernel = kernels[node.opType] else {
                throw owner.kernelError("node '\(node.displayName)' in \(place) uses op '\(node.opType)', which "
                    + "Lathe does not support")
            }
            let inputs = try node.inputs.map { name -> Int in
                guard !name.isEmpty else { return -1 }
                guard let existing = slotOfName[name] else {
                    throw owner.kernelError("node '\(node.displayName)' in \(place) reads '\(name)', which nothing "
                        + "before it provides")
                }
                return existing
            }
            let outputs = node.outputs.map { $0.isEmpty ? -1 : slot($0) }
            steps.append(Step(node: node, kernel: kernel, inputs: inputs, outputs: outputs))
        }
        let outputSlots = try graph.outputs.map { output -> Int in
            guard let existing = slotOfName[output.name] else {
                throw owner.kernelError("\(place) returns '\(output.name)', which nothing computes")
            }
            return existing
        }
        reads = [Int](repeating: 0, count: constants.count)
        for step in steps { for slot in step.inputs where slot >= 0 { reads[slot] += 1 } }
        for slot in outputSlots { reads[slot] += 1 }
        self.owner = owner
        self.place = place
        self.constants = constants
        self.inputSlots = inputSlots
        self.outputSlots = outputSlots
        self.steps = steps
        self.reads = reads
    }

    /// Runs the subgraph on `inputs` (one per subgraph input, in order) and returns its outputs in order.
    func run(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == inputSlots.count else {
            throw owner.kernelError("\(place) takes \(inputSlots.count) inputs; the node gives it \(inputs.count)")
        }
        var values = constants
        for (slot, value) in zip(inputSlots, inputs) { values[slot] = value }
        var remaining = reads
        var arguments: [Tensor?] = []
        for step in steps {
            arguments.removeAll(keepingCapacity: true)
            for slot in step.inputs {
                guard slot >= 0 else { arguments.append(nil); continue }
                guard let value = values[slot] else {
                    throw owner.kernelError("node '\(step.node.displayName)' in \(place) reads a value that was "
                        + "not computed")
                }
                arguments.append(value)
                // Released after its last reader, so a long Loop does not hold every intermediate.
                remaining[slot] -= 1
                if remaining[slot] == 0 { values[slot] = nil }
            }
            let results = try step.kernel(step.node, arguments)
            for (position, slot) in step.outputs.enumerated() where slot >= 0 {
                guard position < results.count else {
                    throw owner.kernelError("node '\(step.node.displayName)' in \(place) returned \(results.count) "
                        + "outputs; output \(position) is needed")
                }
                values[slot] = results[position]
            }
        }
        return try outputSlots.map { slot in
            guard let value = values[slot] else {
                throw owner.kernelError("\(place) did not compute all of its outputs")
            }
            return value
        }
    }
}
