import Foundation
import XCTest
@testable import LatheCore

/// Fixtures of the live-engine tests: the bundled samples (optionally cut to
/// their first samples, keeping every class) and a hand-built residual DAG.
enum LiveFixtures {
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return url
    }()

    static func samplePath(_ sample: String, _ file: String) -> String {
        repositoryRoot.appendingPathComponent("samples/\(sample)/\(file)").path
    }

    /// A sample's model session and data (the first `limit` samples).
    static func sample(_ name: String, limit: Int? = nil) throws -> (InferenceSession, Dataset) {
        let modelPath = samplePath(name, "model.onnx")
        let dataPath = samplePath(name, "data.npz")
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw XCTSkip("sample \(name) is not in this checkout")
        }
        let model = try ONNXReader.read(path: modelPath)
        var dataset = try Dataset.load(path: dataPath)
        if let limit, limit < dataset.count {
            dataset = try dataset.prefix(limit)
        }
        return (try InferenceSession(model: model, data: dataset.layout), dataset)
    }

    /// The plain, cache-free reference: weights compressed by `Compressor`,
    /// activations calibrated as documented (first samples, dataset order),
    /// then `InferenceSession.run` on the evaluation schedule's batches (the
    /// samples every Lathe evaluation groups together, so outputs are
    /// comparable bit for bit whatever the kernels do across a batch).
    /// Returns the top-1, or the agreement without labels.
    /// GPTQ's and bias correction's input statistics of the plan's layers that need them, on the first
    /// samples through the uncompressed model (the evaluator's definition), batch by batch.
    static func inputStatistics(_ session: InferenceSession, _ dataset: Dataset, _ plan: CompressionPlan,
                                batchSize: Int, calibrationSamples: Int) throws -> [String: LayerInputStatistics] {
        let layers = session.layers.filter { plan.settings(for: $0.name).needsCalibration }
        guard !layers.isEmpty else { return [:] }
        var accumulators: [(layer: WeightLayer, input: String, accumulator: LayerInputAccumulator)] = []
        for layer in layers {
            let node = try XCTUnwrap(session.graph.nodes.first { $0.opType == layer.op.rawValue && $0.inputs.contains(layer.name) })
            accumulators.append((layer, session.layerInputName(layer),
                                 LayerInputAccumulator(form: try LayerInputForm(layer: layer, node: node))))
        }
        let limit = min(calibrationSamples, dataset.count)
        var start = 0
        while start < limit {
            let end = min(start + min(batchSize, dataset.count), limit)
            let result = try session.run(dataset.batch(start..<end), options: RunOptions(capture: Set(accumulators.map(\.input))))
            for index in accumulators.indices {
                try accumulators[index].accumulator.observe(try XCTUnwrap(result.captured[accumulators[index].input]))
            }
            start = end
        }
        return Dictionary(uniqueKeysWithValues: accumulators.map { ($0.layer.name, $0.accumulator.statistics) })
    }

    static func directMetric(_ session: InferenceSession, _ dataset: Dataset, _ plan: CompressionPlan,
                             batchSize: Int = 64, calibrationSamples: Int = 256) throws -> Double {
        let weights = try Compressor.compress(weights: session.weights, layers: session.layers, plan: plan,
                                              calibration: try inputStatistics(session, dataset, plan, batchSize: batchSize,
                                                                               calibrationSamples: calibrationSamples))
        var calibrator = ActivationCalibrator(plan: plan, sampleLimit: calibrationSamples)
        let batch = min(batchSize, dataset.count)
        if !calibrator.layersToCalibrate.isEmpty {
            let byName = Dictionary(uniqueKeysWithValues: session.layers.map { ($0.name, $0) })
            let names = calibrator.layersToCalibrate.compactMap { byName[$0].map(session.layerInputName) }
            var start = 0
            let limit = min(calibrationSamples, dataset.count)
            while start < limit {
                let end = min(start + batch, limit)
                let result = try session.run(dataset.batch(start..<end),
                                             options: RunOptions(weights: weights, capture: Set(names)))
                for layer in calibrator.layersToCalibrate {
                    if let l = byName[layer], let input = result.captured[session.layerInputName(l)] {
                        calibrator.observe(layer: layer, input: input)
                    }
                }
                start = end
            }
        }
        let schedule = EvaluationSchedule.interleaved(labels: dataset.labels, count: dataset.count, batchSize: batch)
        let options = RunOptions(weights: weights, inputTransforms: calibrator.transforms())
        let feedData = try FeedData(dataset, feeds: session.feeds)
        var hits = 0
        for b in 0..<schedule.batchCount {
            let input = try schedule.inputs(ofBatch: b, from: feedData)
            let predictions = try Metrics.predictions(session.run(input, options: options).output)
            let truth = try dataset.labels.map { schedule.labels(ofBatch: b, from: $0) }
                ?? Metrics.predictions(session.run(input).output)
            hits += zip(predictions, truth).filter { $0 == $1 }.count
        }
        return Double(hits) / Double(dataset.count)  // as Metrics.accuracy computes it
    }

    /// `plan` with `settings` on the named layers.
    static func plan(_ session: InferenceSession, _ changes: [String: LayerSettings]) -> CompressionPlan {
        CompressionPlan(layers: session.layers, settings: changes)
    }

    static func bits(_ b: Int) -> LayerSettings { LayerSettings(bits: .integer(b)) }

    /// A small residual network with a gating branch, on random weights:
    /// x → conv_a (+ReLU) → a; a → conv_b → b; c = a + b (residual);
    /// c → conv_c → d; gate = Sigmoid(GAP(c)); e = d · gate; GAP(e) → Flatten → fc → y.
    static func residualSession(kernels: [String: Kernel]? = nil) throws -> InferenceSession {
        var random = LatheCore.SplitMix64(seed: 7)
        func tensor(_ shape: [Int], scale: Float = 0.4) -> Tensor {
            let count = shape.reduce(1, *)
            return Tensor(shape: shape, floats: (0..<count).map { _ in Float(random.nextUnit() * 2 - 1) * scale })
        }
        let pads: [String: AttributeValue] = ["pads": .ints([1, 1, 1, 1])]
        let nodes = [
            Node(name: "conv_a", opType: "Conv", inputs: ["x", "a.weight", "a.bias"], outputs: ["a_pre"],
                 attributes: pads),
            Node(name: "relu_a", opType: "Relu", inputs: ["a_pre"], outputs: ["a"]),
            Node(name: "conv_b", opType: "Conv", inputs: ["a", "b.weight"], outputs: ["b"], attributes: pads),
            Node(name: "residual", opType: "Add", inputs: ["a", "b"], outputs: ["c"]),
            Node(name: "conv_c", opType: "Conv", inputs: ["c", "c.weight"], outputs: ["d"], attributes: pads),
            Node(name: "squeeze", opType: "GlobalAveragePool", inputs: ["c"], outputs: ["s"]),
            Node(name: "gate", opType: "Sigmoid", inputs: ["s"], outputs: ["g"]),
            Node(name: "scale", opType: "Mul", inputs: ["d", "g"], outputs: ["e"]),
            Node(name: "pool", opType: "GlobalAveragePool", inputs: ["e"], outputs: ["p"]),
            Node(name: "flatten", opType: "Flatten", inputs: ["p"], outputs: ["f"]),
            Node(name: "fc", opType: "Gemm", inputs: ["f", "fc.weight", "fc.bias"], outputs: ["y"],
                 attributes: ["transB": .int(1)]),
        ]
        let initializers = [
            "a.weight": tensor([4, 1, 3, 3]), "a.bias": tensor([4]), "b.weight": tensor([4, 4, 3, 3]),
            "c.weight": tensor([4, 4, 3, 3]), "fc.weight": tensor([5, 4], scale: 2), "fc.bias": tensor([5]),
        ]
        let graph = Graph(nodes: nodes, initializers: initializers,
                          inputs: [ValueInfo(name: "x", dtype: .float32, dims: nil)],
                          outputs: [ValueInfo(name: "y", dtype: .float32, dims: nil)])
        let model = Model(graph: graph, opset: 17, path: "residual.onnx")
        return try InferenceSession(model: model, sampleShape: [1, 6, 6], output: nil,
                                    kernels: kernels ?? OpRegistry.kernels(opset: 17))
    }

    /// Random inputs for the residual network, labelled by a rule so classes interleave.
    static func residualData(count: Int) -> Dataset {
        var random = LatheCore.SplitMix64(seed: 11)
        let inputs = (0..<(count * 36)).map { _ in Float(random.nextUnit() * 2 - 1) }
        return Dataset(inputs: Tensor(shape: [count, 1, 6, 6], floats: inputs), labels: (0..<count).map { $0 % 5 },
                       path: "residual.npz")
    }
}

/// Collects every snapshot a session's `onUpdate` announces.
final class SnapshotRecorder: Sendable {
    private let box = LockedBox<[LiveSnapshot]>([])

    var callback: @Sendable (LiveSnapshot) -> Void {
        { [self] snapshot in box.withLock { $0.append(snapshot) } }
    }

    var snapshots: [LiveSnapshot] { box.withLock { $0 } }
}
