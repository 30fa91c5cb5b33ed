/// The data flow of a session's optimised graph as far as caching needs it:
/// which values are cached (the data inputs of weight layers), which layers
/// lie upstream of each of them (so a cached value is valid exactly while the
/// settings of those layers are unchanged — right for DAGs with residual or
/// gating branches, where "layers before k in graph order" would be wrong), and
/// which steps a batch must run given the values found in the cache.
struct LayerAncestry: Sendable {
    /// A value kept in the activation cache.
    struct CachedValue: Sendable {
        var name: String
        /// Value id in the graph analysis.
        var id: Int
        /// Indices (into the session's layers) of the layers whose nodes are ancestors of the value.
        var upstream: [Int]
    }

    let cached: [CachedValue]
    /// Per cached value: whether it is a checkpoint, one that runs keep under
    /// `ActivationStore.checkpoints` (see `checkpoints(...)`).
    let isCheckpoint: [Bool]
    /// Layers upstream of the scored output: all that can change it.
    let outputUpstream: [Int]
    /// Per layer: the layers upstream of the input its activation calibration observes.
    let calibrationUpstream: [[Int]]
    /// Per layer: the cached index of its data input (nil for a graph input, never cached).
    private let inputCachedIndex: [Int?]

    private let nodeInputs: [[Int]]
    private let nodeOutputs: [[Int]]
    private let valueCount: Int
    private let outputID: Int
    /// Cached index by value id (-1 for values that are not cached).
    private let cachedIndexOfValue: [Int]

    /// - Parameter checkpointMACsPerElement: a cached value is a checkpoint when recomputing it from the
    ///   checkpoints before it costs at least this many MACs per element (0: every cached value is one).
    /// - Parameter macsPerCheckpointFloat: the checkpoints hold at most one element per this many of the model's
    ///   MACs, the threshold above rising until they do (0: no bound).
    init(session: InferenceSession, checkpointMACsPerElement: Int = 0, macsPerCheckpointFloat: Int = 0) {
        let graph = session.graph
        var ids: [String: Int] = [:]
        func id(_ name: String) -> Int {
            if let existing = ids[name] { return existing }
            ids[name] = ids.count
            return ids.count - 1
        }
        for name in session.inputNames { _ = id(name) }
        var nodeInputs: [[Int]] = []
        var nodeOutputs: [[Int]] = []
        for node in graph.nodes {
            nodeInputs.append(node.inputs.filter { !$0.isEmpty && graph.initializers[$0] == nil }.map(id))
            nodeOutputs.append(node.outputs.filter { !$0.isEmpty }.map(id))
        }
        let outputID = id(session.outputName)
        let valueCount = ids.count

        var layerIndex: [String: Int] = [:]
        for (index, layer) in session.layers.enumerated() { layerIndex[layer.name] = index }
        var layersOfNode = [[Int]](repeating: [], count: graph.nodes.count)
        for binding in session.bindings {
            if let index = layerIndex[binding.layerName], binding.nodeIndex < layersOfNode.count {
                layersOfNode[binding.nodeIndex].append(index)
            }
        }

        // Upstream layer sets as bitsets, propagated in topological (node) order.
        let words = (session.layers.count + 63) / 64
        var upstream = [[UInt64]](repeating: [UInt64](repeating: 0, count: words), count: valueCount)
        for (node, outputs) in nodeOutputs.enumerated() {
            var bits = [UInt64](repeating: 0, count: words)
            for input in nodeInputs[node] {
                for w in 0..<words { bits[w] |= upstream[input][w] }
            }
            for layer in layersOfNode[node] { bits[layer / 64] |= 1 << UInt64(layer % 64) }
            for output in outputs {
                for w in 0..<words { upstream[output][w] |= bits[w] }
            }
        }
        func members(_ bits: [UInt64]) -> [Int] {
            var result: [Int] = []
            for w in 0..<words where bits[w] != 0 {
                for b in 0..<64 where bits[w] & (1 << UInt64(b)) != 0 { result.append(w * 64 + b) }
            }
            return result
        }

        var cached: [CachedValue] = []
        var cachedIndexOfValue = [Int](repeating: -1, count: valueCount)
        var seen = Set<String>()
        for binding in session.bindings.sorted(by: { $0.nodeIndex < $1.nodeIndex }) {
            let name = binding.dataName
            // Graph inputs are the data itself, never cached.
            guard !session.inputNames.contains(name), let value = ids[name], seen.insert(name).inserted else { continue }
            cachedIndexOfValue[value] = cached.count
            cached.append(CachedValue(name: name, id: value, upstream: members(upstream[value])))
        }
        self.cached = cached
        self.isCheckpoint = Self.checkpoints(
            cached, session: session, nodeInputs: nodeInputs, nodeOutputs: nodeOutputs, valueCount: valueCount,
            macsPerElement: checkpointMACsPerElement, macsPerStoredElement: macsPerCheckpointFloat)
        self.outputUpstream = members(upstream[outputID])
        self.calibrationUpstream = session.layers.map { layer in
            guard let value = ids[session.layerInputName(layer)] else { return [] }
            return members(upstream[value])
        }
        self.inputCachedIndex = session.layers.map { layer in
            guard let value = ids[session.layerInputName(layer)], cachedIndexOfValue[value] >= 0 else { return nil }
            return cachedIndexOfValue[value]
        }
        self.nodeInputs = nodeInputs
        self.nodeOutputs = nodeOutputs
        self.valueCount = valueCount
        self.outputID = outputID
        self.cachedIndexOfValue = cachedIndexOfValue
    }

    /// Which cached values are worth keeping whenever a run computes them. Storing a value costs memory
    /// traffic on every run that recomputes it, whether or not a later plan reads it: each stored float
    /// went to a buffer the allocator could not recycle while it was hot, and writing the bundled
    /// MobileNet's every layer input (0.29 MB a sample) made a first-layer change cost 1.2 to 1.4× a plain
    /// pass. A value that is cheap to recompute from the checkpoints before it (a depthwise conv's
    /// 9 MACs an element, the stem conv of a one-channel image) costs about as much to store and read
    /// back as to recompute, so it is left out; what a change of its layer then recomputes is bounded
    /// by that low cost. The sum is of the weight layers' MACs on the way from the checkpoints (or the
    /// data) to the value, per element of the value; a value whose size shape inference did not find
    /// is a checkpoint.
    ///
    /// The values past that threshold can still be many: the bundled MobileNet's were 11,856 floats a
    /// sample, and storing them made a first-layer change cost 1.1× a plain pass. So with
    /// `macsPerStoredElement`, while the checkpoints hold more than one element per that many of the model's
    /// MACs, the threshold rises past the cheapest of them to recompute (the choice after it can then take
    /// a value further on, now dearer to recompute). A change of a layer between the remaining checkpoints
    /// recomputes more, at most a pass.
    private static func checkpoints(_ cached: [CachedValue], session: InferenceSession, nodeInputs: [[Int]],
                                    nodeOutputs: [[Int]], valueCount: Int, macsPerElement: Int,
                                    macsPerStoredElement: Int) -> [Bool] {
        guard macsPerElement > 0 else { return [Bool](repeating: true, count: cached.count) }
        var producer = [Int](repeating: -1, count: valueCount)
        for (node, outputs) in nodeOutputs.enumerated() {
            for output in outputs where producer[output] < 0 { producer[output] = node }
        }
        // A tied weight's MACs are spread over the nodes that read it.
        var bindingCount: [String: Int] = [:]
        for binding in session.bindings { bindingCount[binding.layerName, default: 0] += 1 }
        var macsOfLayer: [String: Int] = [:]
        for layer in session.layers { macsOfLayer[layer.name] = layer.macs }
        var nodeMACs = [Int](repeating: 0, count: nodeOutputs.count)
        var elements: [String: Int] = [:]
        for binding in session.bindings {
            if binding.nodeIndex < nodeMACs.count {
                nodeMACs[binding.nodeIndex] += (macsOfLayer[binding.layerName] ?? 0)
                    / max(1, bindingCount[binding.layerName] ?? 1)
            }
            if let count = binding.dataElements { elements[binding.dataName] = count }
        }
        // Ancestors first: a value's producer comes after its ancestors' in the (topological) node order.
        let order = cached.indices.sorted { producer[cached[$0].id] < producer[cached[$1].id] }

        /// The checkpoints at `threshold`, their elements of known size, and the lowest MACs per element among
        /// those (rounded down; nil when there are none).
        func choose(threshold: Int) -> (isCheckpoint: [Bool], elements: Int, cheapest: Int?) {
            var isCheckpoint = [Bool](repeating: false, count: cached.count)
            var isKept = [Bool](repeating: false, count: valueCount)
            var stored = 0
            var cheapest: Int?
            for index in order {
                let value = cached[index]
                guard let count = elements[value.name], count > 0 else {
                    isCheckpoint[index] = true
                    isKept[value.id] = true
                    continue
                }
                var macs = 0
                var visited = Set<Int>()
                var stack = [producer[value.id]]
                while let node = stack.popLast() {
                    guard node >= 0, visited.insert(node).inserted else { continue }
                    macs += nodeMACs[node]
                    for input in nodeInputs[node] where !isKept[input] { stack.append(producer[input]) }
                }
                if macs >= threshold * count {
                    isCheckpoint[index] = true
                    isKept[value.id] = true
                    stored += count
                    cheapest = min(cheapest ?? .max, macs / count)
                }
            }
            return (isCheckpoint, stored, cheapest)
        }

        let modelMACs = nodeMACs.reduce(0, +)
        var threshold = macsPerElement
        var choice = choose(threshold: threshold)
        while macsPerStoredElement > 0, modelMACs > 0, choice.elements * macsPerStoredElement > modelMACs,
              let cheapest = choice.cheapest {
            threshold = cheapest + 1
            choice = choose(threshold: threshold)
        }
        return choice.isCheckpoint
    }

    /// The cached index of `layer`'s data input (nil when it is a graph input, or no such layer).
    func cachedIndex(ofInputOf layer: Int) -> Int? {
        inputCachedIndex.indices.contains(layer) ? inputCachedIndex[layer] : nil
    }

    /// What one batch needs, walking back from the output: a cached value that
    /// is needed is looked up (`lookup` returns whether it is available); found
    /// ones cut the walk there, like the executor's own analysis of seeds.
    /// Returns the cached indices that will be computed (needed but not found),
    /// which is what is worth capturing for the cache.
    func computedCachedValues(lookup: (Int) -> Bool) -> [Int] {
        var needed = [Bool](repeating: false, count: valueCount)
        var available = [Bool](repeating: false, count: valueCount)
        needed[outputID] = true
        var computed: [Int] = []
        for node in nodeOutputs.indices.reversed() {
            var active = false
            for output in nodeOutputs[node] where needed[output] {
                let cachedIndex = cachedIndexOfValue[output]
                if cachedIndex >= 0, !available[output], lookup(cachedIndex) { available[output] = true }
                if !available[output] { active = true }
            }
            guard active else { continue }
            for output in nodeOutputs[node] where needed[output] && !available[output] {
                let cachedIndex = cachedIndexOfValue[output]
                if cachedIndex >= 0 { computed.append(cachedIndex) }
            }
            for input in nodeInputs[node] { needed[input] = true }
        }
        return computed
    }
}
