/// A graph compiled for one batch size: values live in numbered slots, each
/// step has its kernel resolved and its inputs/outputs as slot indices, so a
/// run does no name lookups per step.
struct CompiledGraph: Sendable {
    /// A class, not a struct: the run reads every step of the graph for every batch, and copying a struct this
    /// size (the node's strings, arrays and attributes) retained and released each of them, 6% of a batch-1 run.
    final class Step: Sendable {
        let node: Node
        let kernel: Kernel
        /// Slot per node input; -1 for an omitted optional input.
        let inputs: [Int]
        /// Slot per node output; -1 for an omitted output.
        let outputs: [Int]
        /// Layers whose data enters this node: (input position, layer name).
        let layerInputs: [LayerInput]
        /// Add, Sub, Mul or Div's element operation, which the run may apply in place (`ArithmeticInPlace`).
        let elementwiseOperation: ArithmeticInPlace.Operation?

        init(node: Node, kernel: @escaping Kernel, inputs: [Int], outputs: [Int], layerInputs: [LayerInput]) {
            self.node = node
            self.kernel = kernel
            elementwiseOperation = ArithmeticInPlace.operation(node.opType)
            self.inputs = inputs
            self.outputs = outputs
            self.layerInputs = layerInputs
        }
    }

    struct LayerInput: Sendable {
        let position: Int
        let layerName: String
    }

    let batchSize: Int
    let slotCount: Int
    let slotOfName: [String: Int]
    /// Initial slot contents: the constants (weights and folded values), nil elsewhere.
    let constants: [Tensor?]
    /// Slot of each graph input, by name.
    let inputSlots: [String: Int]
    let outputSlot: Int
    let steps: [Step]
    /// Shapes the specialisation could infer (by value name).
    let shapes: [String: [Int]]

    /// Compiles a specialised graph. `bindings` say which node input is which layer's data; an op in
    /// `perStepKernels` gets a kernel of its own per step instead of its `kernels` entry.
    init(graph: Graph, batchSize: Int, inputNames: [String], outputName: String, shapes: [String: [Int]],
         kernels: [String: Kernel], perStepKernels: [String: @Sendable () -> Kernel] = [:],
         bindings: [LayerDiscovery.Binding]) throws {
        var slotOfName: [String: Int] = [:]
        var constants: [Tensor?] = []
        func slot(_ name: String) -> Int {
            if let existing = slotOfName[name] { return existing }
            slotOfName[name] = constants.count
            constants.append(nil)
            return constants.count - 1
        }
        var inputSlots: [String: Int] = [:]
        for name in inputNames { inputSlots[name] = slot(name) }
        for name in graph.initializers.keys.sorted() {
            constants[slot(name)] = graph.initializers[name]
        }
        var layerInputsByNode: [String: [LayerInput]] = [:]
        for binding in bindings {
            layerInputsByNode[binding.nodeKey, default: []].append(
                LayerInput(position: binding.dataPosition, layerName: binding.layerName))
        }
        var steps: [Step] = []
        steps.reserveCapacity(graph.nodes.count)
        for node in graph.nodes {
            guard let kernel = perStepKernels[node.opType]?() ?? kernels[node.opType] else {
                throw LatheError.internalFailure("no kernel for op '\(node.opType)' (node '\(node.displayName)')")
            }
            let inputs = node.inputs.map { $0.isEmpty ? -1 : slot($0) }
            let outputs = node.outputs.map { $0.isEmpty ? -1 : slot($0) }
            let key = node.outputs.first(where: { !$0.isEmpty }) ?? ""
            steps.append(Step(node: node, kernel: kernel, inputs: inputs, outputs: outputs,
                              layerInputs: layerInputsByNode[key] ?? []))
        }
        let outputSlot = slot(outputName)
        self.batchSize = batchSize
        self.slotOfName = slotOfName
        self.constants = constants
        self.slotCount = constants.count
        self.inputSlots = inputSlots
        self.outputSlot = outputSlot
        self.steps = steps
        self.shapes = shapes
    }
}
