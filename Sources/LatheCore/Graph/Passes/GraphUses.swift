/// Who produces and who consumes each value of a graph, computed once per pass
/// (passes rewrite the graph, so they recompute rather than maintain it).
struct GraphUses {
    /// Value name → index of the node producing it.
    var producer: [String: Int] = [:]
    /// Value name → number of node inputs reading it (a node reading it twice counts twice).
    var useCount: [String: Int] = [:]
    /// Value name → indices of the nodes reading it, in graph order, without repeats.
    var consumers: [String: [Int]] = [:]

    init(_ graph: Graph) {
        for (index, node) in graph.nodes.enumerated() {
            for output in node.outputs where !output.isEmpty { producer[output] = index }
            for input in node.inputs where !input.isEmpty {
                useCount[input, default: 0] += 1
                if consumers[input]?.last != index { consumers[input, default: []].append(index) }
            }
        }
    }

    func uses(of name: String) -> Int { useCount[name] ?? 0 }

    /// Forgets the node at `index`, for a pass that marks nodes removed and drops them at its end: its outputs
    /// have no producer any more, and its inputs one reader fewer.
    mutating func forget(_ node: Node, at index: Int) {
        for output in node.outputs where !output.isEmpty && producer[output] == index { producer[output] = nil }
        for input in node.inputs where !input.isEmpty {
            useCount[input, default: 0] -= 1
            consumers[input]?.removeAll { $0 == index }
        }
    }

    /// Records the node now at `index` (a rewrite put it there): its outputs and its reads.
    mutating func record(_ node: Node, at index: Int) {
        for output in node.outputs where !output.isEmpty { producer[output] = index }
        for input in node.inputs where !input.isEmpty {
            useCount[input, default: 0] += 1
            var readers = consumers[input] ?? []
            if !readers.contains(index) {
                readers.insert(index, at: readers.firstIndex { $0 > index } ?? readers.endIndex)
            }
            consumers[input] = readers
        }
    }

    /// The node at `producer` now writes `new` instead of `old` (a fusion gave it its reader's output).
    mutating func moveOutput(from old: String, to new: String, producer index: Int) {
        producer[old] = nil
        producer[new] = index
    }
}

extension Graph {
    /// Names of the graph's declared outputs.
    var outputNames: Set<String> { Set(outputs.map(\.name)) }

    /// Drops the nodes a pass marked removed, then the initializers only they read.
    mutating func removeNodes(at removed: Set<Int>) {
        nodes = nodes.indices.filter { !removed.contains($0) }.map { nodes[$0] }
        dropUnusedInitializers()
    }

    /// Drops initializers no node reads and that are not graph outputs.
    mutating func dropUnusedInitializers() {
        var used = outputNames
        for node in nodes { used.formUnion(node.inputs) }
        initializers = initializers.filter { used.contains($0.key) }
    }
}

extension Node {
    /// True for the default ONNX domain, however the file spells it.
    var isDefaultDomain: Bool { domain.isEmpty || domain == "ai.onnx" }

    /// Input `index`, or nil when absent or omitted ("").
    func input(_ index: Int) -> String? {
        index < inputs.count && !inputs[index].isEmpty ? inputs[index] : nil
    }
}
