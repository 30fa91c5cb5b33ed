/// Input statistics for GPTQ and bias correction, taken like activation ranges: on the
/// first `calibrationSamples` samples (dataset order) of the calibration data (the
/// evaluated data unless another set was given), run through
/// the uncompressed model, so a layer's statistics never depend on other layers' settings
/// and are computed once per evaluator.
extension PlanEvaluator {
    func inputStatistics(for layers: [WeightLayer]) throws -> [String: LayerInputStatistics] {
        let known = inputStatisticsTable.withLock { $0 }
        let missing = layers.filter { known[$0.name] == nil }
        guard !missing.isEmpty else { return known }
        var accumulators: [(layer: WeightLayer, input: String, accumulator: LayerInputAccumulator)] = []
        for layer in missing {
            let reader = session.graph.nodes.first { node in
                node.opType == layer.op.rawValue && node.inputs.contains(layer.name)
            }
            guard let reader else {
                throw LatheError.internalFailure("layer \(layer.name): no node reads it in the optimised graph")
            }
            accumulators.append((layer, session.layerInputName(layer),
                                 LayerInputAccumulator(form: try LayerInputForm(layer: layer, node: reader))))
        }
        // A recurrent R also reads its node's other inputs: constants from the weights, the rest captured.
        let extras = Set(accumulators.flatMap { $0.accumulator.form.extraInputs })
        let names = Set(accumulators.map(\.input)).union(extras.filter { session.weights[$0] == nil })
        let data = calibrationFeeds ?? feedData
        let limit = min(options.calibrationSamples, data.count)
        var start = 0
        while start < limit {
            let end = min(start + schedule.batchSize, limit)
            let result = try session.run(batchInputs(start..<end, from: data), options: RunOptions(capture: names))
            for index in accumulators.indices {
                guard let input = result.captured[accumulators[index].input] else {
                    throw LatheError.internalFailure("layer \(accumulators[index].layer.name): its input was not captured")
                }
                var values: [String: Tensor] = [:]
                for name in accumulators[index].accumulator.form.extraInputs {
                    values[name] = session.weights[name] ?? result.captured[name]
                }
                try accumulators[index].accumulator.observe(input, values: values)
            }
            start = end
        }
        return inputStatisticsTable.withLock { table in
            for entry in accumulators { table[entry.layer.name] = entry.accumulator.statistics }
            return table
        }
    }
}
