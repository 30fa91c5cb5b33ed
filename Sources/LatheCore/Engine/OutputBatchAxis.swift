/// Which axis of the scored output runs over a batch's samples: 0 for most
/// models, 1 for the sequence-first `[T, N, C]` outputs of recurrent and CTC
/// models. Found by shape inference (the one axis that follows the batch size
/// when the graph is specialised at two batch sizes), else from the declared
/// output dims (the batch input's symbolic name), else 0; or given by the user.
enum OutputBatchAxis {
    static func resolve(given: Int?, graph: Graph, binding: ModelBinding, declared: [Dimension]?,
                        kernels: [String: Kernel], frozen: Set<String>, path: String) throws -> Int {
        let specialised = shapes(graph, feeds: binding.feeds, kernels: kernels, frozen: frozen)
        if let specialised {
            try SampleIndependence.check(graph, two: specialised.two, three: specialised.three, path: path)
        }
        let inferred = specialised.flatMap { maps -> (two: [Int], three: [Int])? in
            guard let two = maps.two[binding.outputName], let three = maps.three[binding.outputName] else { return nil }
            return (two, three)
        }
        if let given {
            let rank = inferred?.two.count ?? declared?.count
            guard given >= 0, rank.map({ given < $0 }) ?? true else {
                throw LatheError.badInput(file: path, "--output-batch-axis \(given) is not an axis of output "
                    + "'\(binding.outputName)'" + (rank.map { " (rank \($0): 0 to \($0 - 1))" } ?? ""))
            }
            return given
        }
        if let inferred, let axis = followingAxis(inferred.two, inferred.three) { return axis }
        return declaredAxis(declared, feeds: binding.feeds) ?? 0
    }

    /// The shapes of the graph's values at batch sizes 2 and 3, when the graph specialises at both.
    static func shapes(_ graph: Graph, feeds: [InputFeed], kernels: [String: Kernel],
                       frozen: Set<String>) -> (two: [String: [Int]], three: [String: [Int]])? {
        guard feeds.contains(where: { !$0.isShared }) else { return nil }
        func shapes(batchSize: Int) -> [String: [Int]]? {
            let inputs = Dictionary(uniqueKeysWithValues: feeds.map { ($0.name, $0.shape(batchSize: batchSize)) })
            // A graph that hard-codes its batch may not specialise: then the other clues decide.
            let result = try? ShapeSpecialisation.apply(graph, inputShapes: inputs, kernels: kernels, frozen: frozen)
            return result?.shapes
        }
        guard let two = shapes(batchSize: 2), let three = shapes(batchSize: 3) else { return nil }
        return (two, three)
    }

    /// The single axis that is 2 at batch 2 and 3 at batch 3, everything else unchanged.
    static func followingAxis(_ two: [Int], _ three: [Int]) -> Int? {
        guard two.count == three.count else { return nil }
        let differing = two.indices.filter { two[$0] != three[$0] }
        guard differing.count == 1, let axis = differing.first, two[axis] == 2, three[axis] == 3 else { return nil }
        return axis
    }

    /// The one declared output dim named like a per-sample input's symbolic batch dim.
    private static func declaredAxis(_ declared: [Dimension]?, feeds: [InputFeed]) -> Int? {
        guard let declared else { return nil }
        let names = Set(feeds.filter { !$0.isShared }.compactMap { feed -> String? in
            guard let dims = feed.dims, feed.batchAxis < dims.count else { return nil }
            if case .symbolic(let name) = dims[feed.batchAxis], !name.isEmpty { return name }
            return nil
        })
        let axes = declared.indices.filter {
            if case .symbolic(let name) = declared[$0] { return names.contains(name) }
            return false
        }
        return axes.count == 1 ? axes.first : nil
    }
}
