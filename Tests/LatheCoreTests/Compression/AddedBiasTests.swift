import Foundation
import XCTest
@testable import LatheCore

/// Bias correction on layers whose node adds no bias (digits_mlp's MatMuls): the layer gets a
/// float32 bias (README "Recovery methods"), the engine adds it, the size model counts it, and
/// the export writes it so the file computes what the evaluation ran.
final class AddedBiasTests: XCTestCase {
    func corrected(_ session: InferenceSession, bits: Int = 4) -> CompressionPlan {
        var settings = LayerSettings(bits: .integer(bits))
        settings.biasCorrection = true
        return LiveFixtures.plan(session, Dictionary(uniqueKeysWithValues: session.layers.map { ($0.name, settings) }))
    }

    func testABiaslessMatMulGetsTheMeanOutputErrorAsABiasThatTheEngineAdds() throws {
        let (session, dataset) = try LiveFixtures.sample("digits_mlp", limit: 300)
        let evaluator = try PlanEvaluator(session: session, dataset: dataset)
        let plan = corrected(session)
        XCTAssertNoThrow(try plan.validate(layers: session.layers))
        let compressed = try evaluator.compressedWeights(plan)
        let statistics = try evaluator.inputStatistics(for: session.layers)
        XCTAssertFalse(session.layers.isEmpty)
        for layer in session.layers {
            XCTAssertNil(layer.biasName, "\(layer.name): digits_mlp's MatMuls add no bias")
            XCTAssertEqual(layer.op, .matMul)
            XCTAssertEqual(layer.channelAxis, 1, "X·W: the weight is [in, out]")
            let bias = try XCTUnwrap(compressed[AddedBias.name(for: layer.name)], layer.name)
            let (k, n) = (layer.shape[0], layer.shape[1])
            XCTAssertEqual(bias.shape, [n])
            let w = try XCTUnwrap(session.weights[layer.name]).floats
            let q = try XCTUnwrap(compressed[layer.name]).floats
            let mean = try XCTUnwrap(statistics[layer.name]).mean(group: 0)
            XCTAssertEqual(mean.count, k)
            for c in 0..<n {
                var expected = 0.0
                for r in 0..<k { expected += (Double(w[r * n + c]) - Double(q[r * n + c])) * mean[r] }
                XCTAssertEqual(bias.floats[c], Float(expected), "\(layer.name) channel \(c)")
            }
            XCTAssertTrue(bias.floats.contains { $0 != 0 }, "int4 changes every layer's mean output")
        }

        // The engine adds it after the MatMul: with and without it, the layer's output differs by exactly it.
        let layer = session.layers[0]
        let key = try XCTUnwrap(session.bindings.first { $0.layerName == layer.name }?.nodeKey)
        var without = compressed
        for other in session.layers { without[AddedBias.name(for: other.name)] = nil }
        let batch = try dataset.batch(0..<16)
        let plain = try XCTUnwrap(session.run(batch, options: RunOptions(weights: without, capture: [key])).captured[key])
        let biased = try XCTUnwrap(session.run(batch, options: RunOptions(weights: compressed, capture: [key])).captured[key])
        let bias = try XCTUnwrap(compressed[AddedBias.name(for: layer.name)]).floats
        XCTAssertEqual(plain.shape, biased.shape)
        XCTAssertEqual(plain.shape.last, bias.count)
        for i in plain.floats.indices { XCTAssertEqual(biased.floats[i], plain.floats[i] + bias[i % bias.count]) }
        // A wrongly shaped added bias is refused, as a wrongly shaped weight is.
        var bad = compressed
        bad[AddedBias.name(for: layer.name)] = Tensor(shape: [bias.count + 1], floats: [Float](repeating: 0, count: bias.count + 1))
        XCTAssertThrowsError(try session.run(batch, options: RunOptions(weights: bad)))
    }

    func testTheSizeModelCountsAnAddedBiasOnlyForLayersThatGetOne() throws {
        let (mlp, _) = try LiveFixtures.sample("digits_mlp", limit: 10)
        let plain = SizeModel.report(tensors: mlp.weights, layers: mlp.layers,
                                     plan: LiveFixtures.plan(mlp, Dictionary(uniqueKeysWithValues: mlp.layers.map { ($0.name, LiveFixtures.bits(4)) })))
        let withBias = SizeModel.report(tensors: mlp.weights, layers: mlp.layers, plan: corrected(mlp))
        var added = 0
        for layer in mlp.layers {
            XCTAssertEqual(plain.layer(named: layer.name)?.size.bias, 0)
            XCTAssertEqual(withBias.layer(named: layer.name)?.size.bias, 4 * layer.shape[1], layer.name)
            added += 4 * layer.shape[1]
        }
        XCTAssertEqual(withBias.totalBytes, plain.totalBytes + added)

        // A layer with a bias keeps its own (already counted among the other tensors): nothing is added.
        let (cnn, _) = try LiveFixtures.sample("mobilenet", limit: 10)
        let cnnPlain = SizeModel.report(tensors: cnn.weights, layers: cnn.layers,
                                        plan: LiveFixtures.plan(cnn, Dictionary(uniqueKeysWithValues: cnn.layers.map { ($0.name, LiveFixtures.bits(4)) })))
        let cnnBias = SizeModel.report(tensors: cnn.weights, layers: cnn.layers, plan: corrected(cnn))
        XCTAssertTrue(cnn.layers.allSatisfy { $0.biasName != nil })
        XCTAssertEqual(cnnBias.totalBytes, cnnPlain.totalBytes)
    }

    func testExportWritesTheAddedBiasesSoTheFileComputesWhatTheEvaluationRan() throws {
        let (session, dataset) = try LiveFixtures.sample("digits_mlp")
        let evaluator = try PlanEvaluator(session: session, dataset: dataset)
        let plan = corrected(session, bits: 3)
        let planned = try evaluator.evaluate(plan)
        let compressed = try evaluator.compressedWeights(plan)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-added-bias-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let batch = try dataset.batch(0..<64)
        let expected = try session.run(batch, options: RunOptions(weights: compressed)).output
        for format in [ExportFormat.qdq, .fake] {
            let out = folder.appendingPathComponent("\(format.rawValue).onnx").path
            // The exporter itself re-reads the file and checks its top-1 against `planned`.
            _ = try ModelExporter.export(.init(modelPath: LiveFixtures.samplePath("digits_mlp", "model.onnx"),
                                               outputPath: out, format: format, plan: plan, session: session,
                                               evaluator: evaluator, planned: planned))
            let model = try ONNXReader.read(path: out)
            let adds = model.graph.nodes.filter { $0.opType == "Add" }
            for layer in session.layers {
                let bias = try XCTUnwrap(compressed[AddedBias.name(for: layer.name)]).floats
                let written = adds.compactMap { $0.inputs.count == 2 ? model.graph.initializers[$0.inputs[1]] : nil }
                XCTAssertTrue(written.contains { $0.floats == bias }, "\(format): \(layer.name)'s bias is an Add's operand")
            }
            let reloaded = try InferenceSession(model: model, data: dataset.layout)
            let output = try reloaded.run(batch).output
            XCTAssertEqual(output.shape, expected.shape)
            for i in output.floats.indices {
                XCTAssertEqual(output.floats[i], expected.floats[i], accuracy: 1e-4 * max(1, abs(expected.floats[i])),
                               "\(format) output \(i)")
            }
        }
    }
}
