/// Orders nodes so every node comes after the nodes producing its inputs.
/// ONNX requires files to be sorted already, and most are: then the order is
/// kept as it is. Otherwise a depth-first pass (iterative, so deep chains
/// cannot overflow the stack) pulls producers ahead of their consumers while
/// keeping the file's order wherever it was valid.
enum TopologicalOrder {
    enum Problem: Error {
        case producedTwice(String)
        case cycle(String)
    }

    static func sorted(_ nodes: [Node]) throws(Problem) -> [Node] {
        var producer: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty {
                guard producer.updateValue(index, forKey: output) == nil else { throw .producedTwice(output) }
            }
        }
        // Inputs produced by no node are graph inputs, initializers or missing: none constrains the order.
        // Values read inside a node's subgraphs constrain it like its inputs.
        let producersOf = nodes.map { node in (node.inputs + node.implicitInputs).compactMap { producer[$0] } }

        if isSorted(producersOf) { return nodes }

        enum Mark { case unvisited, inProgress, done }
        var marks = [Mark](repeating: .unvisited, count: nodes.count)
        var order: [Node] = []
        order.reserveCapacity(nodes.count)
        for root in nodes.indices where marks[root] == .unvisited {
            var stack: [(node: Int, next: Int)] = [(root, 0)]
            marks[root] = .inProgress
            while let top = stack.last {
                let inputs = producersOf[top.node]
                if top.next < inputs.count {
                    stack[stack.count - 1].next += 1
                    let dependency = inputs[top.next]
                    switch marks[dependency] {
                    case .unvisited:
                        marks[dependency] = .inProgress
                        stack.append((dependency, 0))
                    case .inProgress:
                        throw .cycle(nodes[dependency].displayName)
                    case .done:
                        break
                    }
                } else {
                    marks[top.node] = .done
                    order.append(nodes[top.node])
                    stack.removeLast()
                }
            }
        }
        return order
    }

    private static func isSorted(_ producersOf: [[Int]]) -> Bool {
        for (index, producers) in producersOf.enumerated() where producers.contains(where: { $0 >= index }) {
            return false
        }
        return true
    }
}
