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
    /// Steps whose inputs are the same in every run (see `init`), run once by `hoisting`, and the rest.
    private let invariantSteps: [Step]
    private let steps: [Step]
    /// Reads of each slot by `steps` in one run (outputs count as a read that never happens, so they are kept).
    private let reads: [Int]
    /// Positions of the inputs that are the same in every run.
    let invariantInputs: Set<Int>
    /// The slots of the other inputs, in order: what `Hoisted.run` fills on each iteration.
    private let varyingInputSlots: [Int]

    /// Number of inputs a run takes.
    var inputCount: Int { inputSlots.count }
    var outputCount: Int { outputSlots.count }

    /// `invariantInputs`: positions of the subgraph's inputs that take the same value in every run (a Loop's
    /// or Scan's captured outer values, a Loop's carried values the body passes on unchanged). The steps that
    /// read only those, constants and each other's results run once, in `hoisting`, not once per iteration:
    /// decoders transpose or reshape their weights inside the loop body (PaddleOCR's table decoder carries
    /// its weights through the loop and transposes a 768×256 one in each of its ~200 steps).
    ///
    /// `perStepKernels`: makers of a step's own kernel (`OpRegistry.perStepKernels`), used in place of the
    /// op's `kernels` entry: a body step runs once per iteration with the same shapes, which they remember.
    init(_ graph: Graph, owner: Node, attribute: String, kernels: [String: Kernel],
         perStepKernels: [String: @Sendable () -> Kernel] = [:], invariantInputs: Set<Int> = []) throws {
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
        var invariant = Set(constants.indices.filter { constants[$0] != nil })
        invariant.formUnion(invariantInputs.filter(inputSlots.indices.contains).map { inputSlots[$0] })
        var invariantSteps: [Step] = []
        var steps: [Step] = []
        for node in graph.nodes {
            guard node.isDefaultDomain, let kernel = perStepKernels[node.opType]?() ?? kernels[node.opType] else {
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
            let step = Step(node: node, kernel: kernel, inputs: inputs, outputs: outputs)
            if inputs.allSatisfy({ $0 < 0 || invariant.contains($0) }) {
                invariantSteps.append(step)
                invariant.formUnion(outputs.filter { $0 >= 0 })
            } else {
                steps.append(step)
            }
        }
        let outputSlots = try graph.outputs.map { output -> Int in
            guard let existing = slotOfName[output.name] else {
                throw owner.kernelError("\(place) returns '\(output.name)', which nothing computes")
            }
            return existing
        }
        var reads = [Int](repeating: 0, count: constants.count)
        for step in steps { for slot in step.inputs where slot >= 0 { reads[slot] += 1 } }
        for slot in outputSlots { reads[slot] += 1 }
        self.owner = owner
        self.place = place
        self.constants = constants
        self.inputSlots = inputSlots
        self.outputSlots = outputSlots
        self.invariantSteps = invariantSteps
        self.steps = steps
        self.reads = reads
        self.invariantInputs = invariantInputs.filter(inputSlots.indices.contains)
        self.varyingInputSlots = inputSlots.indices.filter { !invariantInputs.contains($0) }.map { inputSlots[$0] }
    }

    /// The subgraph with its invariant steps run on `invariant` (a value for each of `invariantInputs`, by
    /// input position), ready to run once per iteration.
    func hoisting(_ invariant: [Int: Tensor]) throws -> Hoisted {
        guard Set(invariant.keys) == invariantInputs else {
            throw owner.kernelError("\(place) has fixed inputs \(invariantInputs.sorted()); the node gives "
                + "\(invariant.keys.sorted())")
        }
        var values = constants
        for (position, value) in invariant { values[inputSlots[position]] = value }
        var unused: [Int] = []
        try execute(invariantSteps, &values, remaining: &unused, releasing: false)
        // Only what the per-iteration steps and the outputs read stays held.
        for slot in values.indices where reads[slot] == 0 { values[slot] = nil }
        return Hoisted(program: self, values: values)
    }

    /// Runs the subgraph on `inputs` (one per subgraph input, in order) and returns its outputs in order.
    func run(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == inputSlots.count else {
            throw owner.kernelError("\(place) takes \(inputSlots.count) inputs; the node gives it \(inputs.count)")
        }
        var invariant: [Int: Tensor] = [:]
        for position in invariantInputs { invariant[position] = inputs[position] }
        return try hoisting(invariant).run(inputs.indices.filter { !invariantInputs.contains($0) }.map { inputs[$0] })
    }

    /// A program whose invariant steps have run.
    struct Hoisted {
        fileprivate let program: SubgraphProgram
        fileprivate let values: [Tensor?]

        var outputCount: Int { program.outputCount }

        /// Runs the remaining steps on `inputs`: the subgraph's inputs but the invariant ones, in order.
        func run(_ inputs: [Tensor]) throws -> [Tensor] {
            let p = program
            guard inputs.count == p.varyingInputSlots.count else {
                throw p.owner.kernelError("\(p.place) takes \(p.inputSlots.count) inputs; the node gives it "
                    + "\(inputs.count + p.invariantInputs.count)")
            }
            var values = self.values
            for (slot, value) in zip(p.varyingInputSlots, inputs) { values[slot] = value }
            var remaining = p.reads
            try p.execute(p.steps, &values, remaining: &remaining, releasing: true)
            return try p.outputSlots.map { slot in
                guard let value = values[slot] else {
                    throw p.owner.kernelError("\(p.place) did not compute all of its outputs")
                }
                return value
            }
        }
    }

    /// Runs `steps` over `values`; `releasing`, counts down `remaining` (reads left per slot) and releases each
    /// value after its last reader, so a long Loop does not hold every intermediate.
    private func execute(_ steps: [Step], _ values: inout [Tensor?], remaining: inout [Int], releasing: Bool) throws {
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
                if releasing {
                    remaining[slot] -= 1
                    if remaining[slot] == 0 { values[slot] = nil }
                }
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
    }
}
