/// Rewrites HardSwish spelled out in four nodes, as exporters write it for opsets before 14
/// (paddle2onnx, older PyTorch), into one HardSwish node:
/// `Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6)` or `Mul(x, Div(Clip(Add(x, 3), 0, 6), 6))`, Add and Mul in
/// either operand order. One node instead of four passes over memory, and one `ActivationFusion`
/// can move into the producing Conv. The intermediates must be read by nothing else. The values
/// agree with the four nodes to a few ulp (x · clamp(x/6 + 1/2, 0, 1) rounds differently).
enum HardSwishRecognition {
    @discardableResult
    static func apply(_ graph: inout Graph) -> Int {
        var rewritten = 0
        var index = 0
        while index < graph.nodes.count {
            if let removed = tryRewrite(at: index, in: &graph) {
                rewritten += 1
                index -= removed.filter { $0 < index }.count
            }
            index += 1
        }
        if rewritten > 0 { graph.dropUnusedInitializers() }
        return rewritten
    }

    /// Rewrites the pattern ending at node `index` (a Div or Mul); returns the indices of the removed nodes.
    private static func tryRewrite(at index: Int, in graph: inout Graph) -> [Int]? {
        let last = graph.nodes[index]
        guard last.isDefaultDomain, last.inputs.count == 2, let output = last.outputs.first, !output.isEmpty
        else { return nil }
        let uses = GraphUses(graph)
        let constants = graph.initializers
        /// The producer of `name` when it is a default-domain `op` read only once and not a graph output.
        func single(_ name: String, _ op: String) -> (Int, Node)? {
            guard let i = uses.producer[name], uses.uses(of: name) == 1, !graph.outputNames.contains(name),
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
        guard let (x, removed) = match else { return nil }
        graph.nodes[index] = Node(name: last.name, opType: "HardSwish", inputs: [x], outputs: [output])
        for i in removed.sorted(by: >) { graph.nodes.remove(at: i) }
        return removed
    }
}
