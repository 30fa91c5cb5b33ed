import Foundation
import XCTest
@testable import LatheCore

/// GPTQ on recurrent weights (README "Recovery methods"): W's rows multiply X_t (one Hessian for
/// every direction), R's rows the previous hidden state of their direction in the uncompressed run.
final class RecurrentRecoveryTests: XCTestCase {
    /// crnn's bidirectional LSTM: the statistics of R are the moments of the engine's own Y, shifted
    /// by one step in each direction's time order (the initial state 0 in the remaining slot), and
    /// those of W are the moments of X.
    func testRecurrenceStatisticsAreTheHiddenStatesOfTheUncompressedRun() throws {
        let (session, dataset) = try LiveFixtures.sample("crnn", limit: 64)
        let evaluator = try PlanEvaluator(session: session, dataset: dataset,
                                          options: EvaluatorOptions(cacheCapacityBytes: 0, calibrationSamples: 64))
        let layers = session.layers.filter { $0.op == .lstm }
        XCTAssertEqual(layers.count, 2)
        let w = try XCTUnwrap(layers.first { !$0.isRecurrence }), r = try XCTUnwrap(layers.first { $0.isRecurrence })
        let statistics = try evaluator.inputStatistics(for: layers)
        let node = try XCTUnwrap(session.graph.nodes.first { $0.opType == "LSTM" })
        let yName = try XCTUnwrap(node.outputs.first), xName = try XCTUnwrap(node.inputs.first)
        let run = try session.run(dataset.batch(0..<64), options: RunOptions(capture: [yName, xName]))
        let y = try XCTUnwrap(run.captured[yName]), x = try XCTUnwrap(run.captured[xName])
        let (steps, directions, batch, hidden) = (y.shape[0], y.shape[1], y.shape[2], y.shape[3])
        XCTAssertEqual(directions, 2)
        let rStats = try XCTUnwrap(statistics[r.name])
        XCTAssertEqual(rStats.groups, 2)
        XCTAssertEqual(rStats.count, steps * batch)
        for d in 0..<directions {
            // Forward: steps 0 … T−2 (and the zero state); backward: steps 1 … T−1.
            let used = d == 0 ? 0..<(steps - 1) : 1..<steps
            var sum = [Double](repeating: 0, count: hidden)
            for t in used {
                for b in 0..<batch {
                    for k in 0..<hidden { sum[k] += Double(y.floats[((t * directions + d) * batch + b) * hidden + k]) }
                }
            }
            let mean = rStats.mean(group: d)
            for k in 0..<hidden {
                XCTAssertEqual(mean[k], sum[k] / Double(steps * batch), accuracy: 1e-5, "direction \(d) unit \(k)")
            }
        }
        let wStats = try XCTUnwrap(statistics[w.name])
        XCTAssertEqual(wStats.groups, 1)
        XCTAssertEqual(wStats.columns, x.shape[2])
        let inputSize = x.shape[2], vectors = x.count / inputSize
        XCTAssertEqual(wStats.count, vectors)
        let wMean = wStats.mean(group: 0)
        for k in 0..<inputSize {
            let sum = (0..<vectors).reduce(0.0) { $0 + Double(x.floats[$1 * inputSize + k]) }
            XCTAssertEqual(wMean[k], sum / Double(vectors), accuracy: 1e-5)
        }
    }

    /// GPTQ leaves a smaller output error per direction, tr(ΔW_d H_d ΔW_dᵀ), than round-to-nearest on the
    /// same grid, for W and R of crnn's LSTM at 3 bits; bias correction is refused on them.
    func testGPTQLowersTheOutputErrorOfEveryDirection() throws {
        let (session, dataset) = try LiveFixtures.sample("crnn", limit: 128)
        let evaluator = try PlanEvaluator(session: session, dataset: dataset)
        let layers = session.layers.filter { $0.op == .lstm }
        let statistics = try evaluator.inputStatistics(for: layers)
        for layer in layers {
            let weight = try XCTUnwrap(session.weights[layer.name]), stats = try XCTUnwrap(statistics[layer.name])
            let rtn = try Compressor.compress(weight, layer: layer, settings: LayerSettings(bits: .integer(3)))
            let gptq = try Compressor.compress(weight, layer: layer, settings: LayerSettings(bits: .integer(3), method: .gptq),
                                               statistics: stats)
            let n = layer.shape[2], rows = layer.shape[1]
            for d in 0..<layer.shape[0] {
                let h = stats.hessian(group: stats.groups == 1 ? 0 : d)
                func error(_ compressed: Tensor) -> Double {
                    var total = 0.0
                    for row in 0..<rows {
                        let base = (d * rows + row) * n
                        let delta = (0..<n).map { Double(weight.floats[base + $0]) - Double(compressed.floats[base + $0]) }
                        for i in 0..<n where delta[i] != 0 { for j in 0..<n { total += delta[i] * h[i * n + j] * delta[j] } }
                    }
                    return total
                }
                XCTAssertLessThan(error(gptq), error(rtn), "\(layer.name) direction \(d)")
            }
            // The same grid: every GPTQ value is a level round-to-nearest's row could take (size unchanged).
            XCTAssertEqual(SizeModel.tensorSize(layer: layer, dtype: .float32, settings: LayerSettings(bits: .integer(3), method: .gptq)).size,
                           SizeModel.tensorSize(layer: layer, dtype: .float32, settings: LayerSettings(bits: .integer(3))).size)
            var corrected = LayerSettings(bits: .integer(4), method: .gptq)
            corrected.biasCorrection = true
            XCTAssertEqual(corrected.problem(for: layer)?.key, "bias_correction")
        }
    }
}

/// A recurrent node given sequence_lens: GPTQ is refused for its weights, naming the reason.
final class RecurrentSequenceLengthsTests: XCTestCase {
    func testGPTQIsRefusedOnANodeWithSequenceLengths() throws {
        var random = LatheCore.SplitMix64(seed: 9)
        func tensor(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in Float(random.nextUnit() - 0.5) })
        }
        let graph = Graph(nodes: [Node(name: "rnn", opType: "RNN", inputs: ["x", "W", "R", "", "lengths"], outputs: ["y"],
                                       attributes: ["hidden_size": .int(3), "layout": .int(1)])],
                          initializers: ["W": tensor([1, 3, 2]), "R": tensor([1, 3, 3]),
                                         "lengths": Tensor(shape: [1], ints: [2], dtype: .int32)],
                          inputs: [ValueInfo(name: "x", dtype: .float32, dims: nil)],
                          outputs: [ValueInfo(name: "y", dtype: .float32, dims: nil)])
        let session = try InferenceSession(model: Model(graph: graph, opset: 17, path: "rnn.onnx"), sampleShape: [2, 2])
        XCTAssertEqual(session.layers.count, 2)
        for layer in session.layers {
            XCTAssertTrue(layer.hasSequenceLengths)
            let problem = LayerSettings(bits: .integer(4), method: .gptq).problem(for: layer)
            XCTAssertEqual(problem?.key, "method")
            XCTAssertTrue(problem?.message.contains("sequence_lens") == true, problem?.message ?? "")
        }
    }
}
