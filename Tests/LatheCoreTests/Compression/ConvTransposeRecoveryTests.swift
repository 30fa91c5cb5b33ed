import Foundation
import XCTest
@testable import LatheCore

/// GPTQ and bias correction on ConvTranspose (README "Recovery methods"): the input vectors of
/// output channel oc's row w[:, oc] are, per output position o, x[ic, (o + pad − k·dilation) / stride].
final class ConvTransposeRecoveryTests: XCTestCase {
    /// One ConvTranspose node with uneven strides, dilations, pads and output_padding, no bias.
    func single(weight: [Int], attributes: [String: AttributeValue], input: [Int]) throws -> InferenceSession {
        var random = LatheCore.SplitMix64(seed: 3)
        let count = weight.reduce(1, *)
        let w = Tensor(shape: weight, floats: (0..<count).map { _ in Float(random.nextUnit() * 2 - 1) })
        let graph = Graph(nodes: [Node(name: "up", opType: "ConvTranspose", inputs: ["x", "w"], outputs: ["y"],
                                       attributes: attributes)],
                          initializers: ["w": w], inputs: [ValueInfo(name: "x", dtype: .float32, dims: nil)],
                          outputs: [ValueInfo(name: "y", dtype: .float32, dims: nil)])
        return try InferenceSession(model: Model(graph: graph, opset: 17, path: "up.onnx"), sampleShape: input)
    }

    /// The statistics are those of the vectors the engine's own ConvTranspose dots each row with:
    /// per output channel, mean(y) = w_oc · E[x] and mean(y²) = w_ocᵀ (H/2) w_oc over all output positions.
    func testTransposedInputVectorsReproduceTheEnginesOutputMoments() throws {
        let cases: [([Int], [String: AttributeValue], [Int])] = [
            ([3, 4, 3, 2], ["strides": .ints([2, 1]), "dilations": .ints([1, 2]), "pads": .ints([1, 0, 0, 1]),
                            "output_padding": .ints([1, 0])], [3, 5, 4]),
            ([2, 3, 2, 2], ["strides": .ints([2, 2])], [2, 4, 3]),
            ([2, 2, 3], ["strides": .ints([3]), "pads": .ints([1, 1])], [2, 7]),
        ]
        for (shape, attributes, sample) in cases {
            let session = try single(weight: shape, attributes: attributes, input: sample)
            let layer = try XCTUnwrap(session.layers.first)
            XCTAssertEqual(layer.op, .convTranspose)
            XCTAssertNil(LayerInputStatistics.unsupportedReason(layer))
            var random = LatheCore.SplitMix64(seed: 5)
            let images = 3, perImage = sample.reduce(1, *)
            let x = Tensor(shape: [images] + sample, floats: (0..<(images * perImage)).map { _ in Float(random.nextUnit() * 4 - 2) })
            let y = try session.run(x).output
            var accumulator = LayerInputAccumulator(form: try LayerInputForm(layer: layer, node: session.graph.nodes[0]))
            try accumulator.observe(x)
            let stats = accumulator.statistics
            let channels = shape[1], positions = y.count / (images * channels)
            XCTAssertEqual(stats.count, images * positions)
            XCTAssertEqual(stats.columns, shape[0] * shape.dropFirst(2).reduce(1, *))
            let rows = AxisLayout(shape: layer.shape, axis: layer.channelAxis).gather(try XCTUnwrap(session.weights["w"]).floats)
            let mean = stats.mean(group: 0), h = stats.hessian(group: 0), n = stats.columns
            for oc in 0..<channels {
                let row = (0..<n).map { Double(rows[oc * n + $0]) }
                var sum = 0.0, squares = 0.0
                for image in 0..<images {
                    for p in 0..<positions {
                        let v = Double(y.floats[(image * channels + oc) * positions + p])
                        sum += v
                        squares += v * v
                    }
                }
                let predictedMean = zip(row, mean).reduce(0) { $0 + $1.0 * $1.1 }
                var predictedSquare = 0.0
                for i in 0..<n { for j in 0..<n { predictedSquare += row[i] * h[i * n + j] / 2 * row[j] } }
                let count = Double(images * positions)
                XCTAssertEqual(sum / count, predictedMean, accuracy: 1e-5 * max(1, abs(predictedMean)), "\(shape) channel \(oc)")
                XCTAssertEqual(squares / count, predictedSquare, accuracy: 1e-5 * max(1, predictedSquare), "\(shape) channel \(oc)")
            }
        }
    }

    /// On fpn_detector's two ConvTranspose layers and their real calibration inputs, GPTQ leaves a
    /// smaller output error tr(ΔW H ΔWᵀ) than round-to-nearest on the same grid, and bias correction
    /// changes their biases by (W − Ŵ)·E[x].
    func testGPTQAndBiasCorrectionOnTheDetectorsConvTransposeLayers() throws {
        let (session, dataset) = try LiveFixtures.sample("fpn_detector")
        let evaluator = try PlanEvaluator(session: session, dataset: dataset)
        let layers = session.layers.filter { $0.op == .convTranspose }
        XCTAssertEqual(layers.count, 2)
        let statistics = try evaluator.inputStatistics(for: layers)
        for layer in layers {
            let weight = try XCTUnwrap(session.weights[layer.name])
            let stats = try XCTUnwrap(statistics[layer.name])
            let rtn = try Compressor.compress(weight, layer: layer, settings: LayerSettings(bits: .integer(3)))
            let gptq = try Compressor.compress(weight, layer: layer, settings: LayerSettings(bits: .integer(3), method: .gptq),
                                               statistics: stats)
            XCTAssertNotEqual(gptq.floats, rtn.floats)
            XCTAssertLessThan(outputError(weight, gptq, layer: layer, stats: stats),
                              outputError(weight, rtn, layer: layer, stats: stats), layer.name)
        }
        var settings = LayerSettings(bits: .integer(4), method: .gptq)
        settings.biasCorrection = true
        let plan = LiveFixtures.plan(session, Dictionary(uniqueKeysWithValues: layers.map { ($0.name, settings) }))
        let compressed = try evaluator.compressedWeights(plan)
        for layer in layers {
            let biasName = try XCTUnwrap(layer.biasName)
            let before = try XCTUnwrap(session.weights[biasName]).floats
            let after = try XCTUnwrap(compressed[biasName]).floats
            let rows = AxisLayout(shape: layer.shape, axis: layer.channelAxis)
            let w = rows.gather(try XCTUnwrap(session.weights[layer.name]).floats)
            let q = rows.gather(try XCTUnwrap(compressed[layer.name]).floats)
            let mean = try XCTUnwrap(statistics[layer.name]).mean(group: 0), n = mean.count
            for oc in 0..<before.count {
                var delta = 0.0
                for j in 0..<n { delta += (Double(w[oc * n + j]) - Double(q[oc * n + j])) * mean[j] }
                XCTAssertEqual(after[oc], Float(Double(before[oc]) + delta), "\(layer.name) channel \(oc)")
            }
        }
    }

    func testAGroupedConvTransposeIsRefusedNamingTheGroup() {
        let layer = WeightLayer(name: "up.weight", op: .convTranspose, nodeName: "up", shape: [4, 2, 2, 2], channelAxis: 1,
                                reductionAxis: 0, groups: 2, biasName: nil, macs: 1)
        let problem = LayerSettings(bits: .integer(4), method: .gptq).problem(for: layer)
        XCTAssertEqual(problem?.key, "method")
        XCTAssertTrue(problem?.message.contains("group 1") == true, problem?.message ?? "")
    }

    private func outputError(_ weight: Tensor, _ compressed: Tensor, layer: WeightLayer, stats: LayerInputStatistics) -> Double {
        let layout = AxisLayout(shape: layer.shape, axis: layer.channelAxis)
        let a = layout.gather(weight.floats), b = layout.gather(compressed.floats)
        let n = stats.columns, h = stats.hessian(group: 0)
        var total = 0.0
        for row in 0..<layout.length {
            let delta = (0..<n).map { Double(a[row * n + $0]) - Double(b[row * n + $0]) }
            for i in 0..<n where delta[i] != 0 { for j in 0..<n { total += delta[i] * h[i * n + j] * delta[j] } }
        }
        return total
    }
}
