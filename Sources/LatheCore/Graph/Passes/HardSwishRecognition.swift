/// Rewrites HardSwish spelled out in four nodes, as exporters write it for opsets before 14
/// (paddle2onnx, older PyTorch), into one HardSwish node:
/// `Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6)` or `Mul(x, Div(Clip(Add(x, 3), 0, 6), 6))`, Add and Mul in
/// either operand order. One node instead of four passes over memory, and one `ActivationFusion`
/// can move into the producing Conv. The intermediates must be read by nothing else. The values
/// agree with the four nodes to a few ulp (x · clamp(x/6 + 1/2, 0, 1) rounds differently).
enum HardSwishRecognition {
    @discardableResult
    static func apply(_ graph: inout Graph) -> Int {
        // Rewritten-away nodes are only marked while the pass runs, so the indices in `uses` stay valid and a
        // rewrite updates the entries it changes (`ActivationFusion` says why).
        var uses = GraphUses(graph)
        var removed = Set<Int>()
        var rewritten = 0
        let graphOutputs = graph.outputNames
        for index in graph.nodes.indices where !removed.contains(index) {
            if tryRewrite(at: index, in: &graph, uses: &uses, removed: &removed, graphOutputs: graphOutputs) {
                rewritten += 1
            }
        }
        guard rewritten > 0 else { return 0 }
        graph.removeNodes(at: removed)
        return rewritten
    }

    /// Rewrites the pattern ending at node `index` (a Div or Mul); marks the nodes it replaces in `removed`.
    private static func tryRewrite(at index: Int, in graph: inout Graph, uses: inout GraphUses,
                                   removed: inout Set<Int>, graphOutputs: Set<String>) -> Bool {
        let last = graph.nodes[index]
        guard last.isDefaultDomain, last.opType == "Div" || last.opType == "Mul", last.inputs.count == 2,
              let output = last.outputs.first, !output.isEmpty
        else { return false }
        let constants = graph.initializers
        /// The producer of `name` when it is a default-domain `op` read only once and not a graph output.
        func single(_ name: String, _ op: String) -> (Int, Node)? {
            guard let i = uses.producer[name], uses.uses(of: name) == 1, !graphOutputs.contains(name),
                  graph.nodes[i].isDefaultDomain, graph.nodes[i].opType == op else { return nil }
            return (i, graph.nodes[i])
        }
        func isConstant(_ name: String, _ value: Float) -> Bool {
            guard let t = constants[name], t.isFloat, t.count == 1 else { return false }
            return t.asFloats[0] == value
        }
        /// `Clip(Add(x, 3), 0, 6)` producing `name`: x and the two nodes' indices.
        func relu6OfXPlus3(_ name: String) -> (x: String, nodes: [Int])? {
            guard let (clipIndex, clip) = single(name, "Clip"), let a = clip.input(0),
                  ActivationFusion.clipBounds(clip, constants: constants).map({ $0 == (0, 6) }) == true,
                  let (addIndex, add) = single(a, "Add"), add.inputs.count == 2 else { return nil }
            for (xPosition, cPosition) in [(0, 1), (1, 0)] where isConstant(add.inputs[cPosition], 3) {
                let x = add.inputs[xPosition]
                guard !x.isEmpty, constants[x] == nil else { continue }
                return (x, [clipIndex, addIndex])
            }
            return nil
        }
        var match: (x: String, nodes: [Int])?
        if last.opType == "Div", isConstant(last.inputs[1], 6), let (mulIndex, mul) = single(last.inputs[0], "Mul"),
           mul.inputs.count == 2 {
            // Div(Mul(x, relu6(x + 3)), 6)
            for (xPosition, rPosition) in [(0, 1), (1, 0)] {
                if let inner = relu6OfXPlus3(mul.inputs[rPosition]), inner.x == mul.inputs[xPosition] {
                    match = (inner.x, inner.nodes + [mulIndex])
                    break
                }
            }
        } else if last.opType == "Mul" {
            // Mul(x, Div(relu6(x + 3), 6))
            for (xPosition, dPosition) in [(0, 1), (1, 0)] {
                guard let (divIndex, div) = single(last.inputs[dPosition], "Div"), div.inputs.count == 2,
                      isConstant(div.inputs[1], 6), let inner = relu6OfXPlus3(div.inputs[0]),
                      inner.x == last.inputs[xPosition] else { continue }
                match = (inner.x, inner.nodes + [divIndex])
                break
            }
        }
        guard let (x, replaced) = match else { return false }
        for i in replaced {
            uses.forget(graph.nodes[i], at: i)
            removed.insert(i)
        }
        uses.forget(last, at: index)
        graph.nodes[index] = Node(name: last.name, opType: "HardSwish", inputs: [x], outputs: [output])
        uses.record(graph.nodes[index], at: index)
        return true
    }
}
