import XCTest
@testable import LatheCore

final class SearchTests: XCTestCase {
    typealias F = LiveFixtures

    private func request(_ constraint: SearchConstraint, bits: [Int] = [2, 3, 4, 5, 6, 8], prune: [Double] = [],
                         maxEvaluations: Int = 40) -> SearchRequest {
        SearchRequest(constraint: constraint, bits: bits, prune: prune, maxEvaluations: maxEvaluations,
                      model: "m.onnx", modelHash: "m", data: "d.npz", dataHash: "d")
    }

    /// Two layers with hand-made drops: for each budget the knapsack finds the least summed drop,
    /// checked against every combination.
    func testKnapsackIsExactOnEveryBudget() throws {
        let big = WeightLayer(name: "big", op: .gemm, nodeName: "", shape: [10, 100], channelAxis: 0, reductionAxis: 1,
                              macs: 1000)
        let small = WeightLayer(name: "small", op: .gemm, nodeName: "", shape: [10, 10], channelAxis: 0,
                                reductionAxis: 1, macs: 100)
        var bigEntry = SensitivityReport.Layer(name: "big")
        bigEntry.bits = [2: 0.5, 4: 0.89, 8: 0.9]
        bigEntry.gptq = [2: 0.7, 4: 0.895]
        var smallEntry = SensitivityReport.Layer(name: "small")
        smallEntry.bits = [2: 0.8, 4: 0.9, 8: 0.9]
        smallEntry.gptq = [2: 0.85, 4: 0.9]
        let report = SensitivityReport(
            baseline: .init(metric: .top1, value: 0.9, samples: 10, model: "", modelHash: "", data: nil, dataHash: nil,
                            method: "", levels: SensitivityLevels(bits: [2, 4, 8], gptq: [2, 4]),
                            layerOrder: ["big", "small"]),
            layers: [bigEntry, smallEntry])
        let layers = [big, small]
        let knapsack = SearchCandidates.knapsack(layers: layers, weights: [:], sensitivity: report,
                                                 request: request(.frontOnly, bits: [2, 4, 8]), fixedBytes: 100)
        // GPTQ dominates round-to-nearest at the same size wherever it measured better.
        XCTAssertFalse(knapsack.options[0].contains { $0.settings.bits == .integer(4) && $0.settings.method == .rtn })
        func size(_ s: LayerSettings, _ layer: WeightLayer) -> Int {
            SizeModel.tensorSize(layer: layer, dtype: .float32, settings: s).size.total
        }
        func drop(_ s: LayerSettings, _ entry: SensitivityReport.Layer) -> Double {
            guard case .integer(let b) = s.bits else { return 0 }
            return 0.9 - ((s.method == .gptq ? entry.gptq[b] : entry.bits[b]) ?? 0)
        }
        let choices = [2, 4, 8].flatMap { b in [LayerSettings(bits: .integer(b)), LayerSettings(bits: .integer(b), method: .gptq)] }
            .filter { s in s.method == .rtn || s.bits != .integer(8) }
        for budget in stride(from: knapsack.smallestBytes, through: knapsack.largestBytes, by: 7) {
            var best = Double.infinity
            for a in choices { for b in choices where 100 + size(a, big) + size(b, small) <= budget {
                best = min(best, drop(a, bigEntry) + drop(b, smallEntry))
            } }
            let chosen = try XCTUnwrap(knapsack.settings(within: budget), "budget \(budget)")
            let bytes = 100 + size(chosen["big"] ?? LayerSettings(), big) + size(chosen["small"] ?? LayerSettings(), small)
            XCTAssertLessThanOrEqual(bytes, budget)
            let predicted = drop(chosen["big"] ?? LayerSettings(), bigEntry) + drop(chosen["small"] ?? LayerSettings(), smallEntry)
            XCTAssertEqual(predicted, try XCTUnwrap(knapsack.predictedDrop(within: budget)), accuracy: 1e-12)
            // Exact up to the size rounding of one unit per layer.
            var coarse = Double.infinity
            for a in choices { for b in choices where 100 + size(a, big) + size(b, small) + 2 * knapsack.unit <= budget {
                coarse = min(coarse, drop(a, bigEntry) + drop(b, smallEntry))
            } }
            XCTAssertLessThanOrEqual(predicted, coarse + 1e-12, "budget \(budget)")
            XCTAssertGreaterThanOrEqual(predicted, best - 1e-12, "budget \(budget)")
        }
        XCTAssertNil(knapsack.settings(within: knapsack.smallestBytes - 1))
    }

    func testMaxDropIsMeasuredToHoldAndSavesSize() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 80)
        let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(batchSize: 16))
        let outcome = try Search.run(evaluator: evaluator, request: request(.maxDrop(0.02)))
        XCTAssertTrue(outcome.satisfied)
        let measured = try F.directMetric(session, data, outcome.plan, batchSize: 16)
        XCTAssertEqual(outcome.value, measured)
        XCTAssertGreaterThanOrEqual(measured, outcome.baselineValue - 0.02)
        XCTAssertEqual(outcome.sizeBytes, evaluator.sizeReport(outcome.plan).totalBytes)
        XCTAssertLessThan(outcome.sizeBytes, outcome.int8Bytes)
        XCTAssertLessThanOrEqual(outcome.evaluations, 40)
        XCTAssertTrue(outcome.visited.contains { $0.plan == outcome.plan })
        let front = outcome.paretoFront
        XCTAssertEqual(front.map(\.sizeBytes), front.map(\.sizeBytes).sorted())
        for (a, b) in zip(front, front.dropFirst()) { XCTAssertLessThan(a.value, b.value) }
    }

    func testTargetSizeIsMet() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 40)
        let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(batchSize: 16))
        let budget = evaluator.baselineBytes / 5
        let outcome = try Search.run(evaluator: evaluator, request: request(.targetSize(budget), prune: [0.5]))
        XCTAssertTrue(outcome.satisfied)
        XCTAssertLessThanOrEqual(outcome.sizeBytes, budget)
        XCTAssertEqual(outcome.value, try F.directMetric(session, data, outcome.plan, batchSize: 16))
        let ratio = try Search.run(evaluator: evaluator, request: request(.targetRatio(5), prune: [0.5]))
        XCTAssertLessThanOrEqual(ratio.sizeBytes, evaluator.baselineBytes / 5)
    }

    func testRequestValidation() {
        XCTAssertThrowsError(try request(.maxDrop(-0.1)).validate())
        XCTAssertThrowsError(try request(.targetRatio(0.5)).validate())
        XCTAssertThrowsError(try request(.maxDrop(0.01), bits: [0]).validate())
        XCTAssertThrowsError(try request(.maxDrop(0.01), prune: [1]).validate())
        XCTAssertNoThrow(try request(.maxDrop(0.01), bits: [4, 8, 32]).validate())
    }

    /// The acceptance goal on the MobileNet sample: at most 0.6× uniform int8 with
    /// top-1 within one point of fp32, as measured independently.
    func testMobileNetMaxDropOnePoint() throws {
        let (session, data) = try F.sample("mobilenet")
        let evaluator = try PlanEvaluator(session: session, dataset: data)
        let outcome = try Search.run(evaluator: evaluator, request: request(.maxDrop(0.01)))
        XCTAssertTrue(outcome.satisfied)
        let top1 = try F.directMetric(session, data, outcome.plan)
        // The front dominates the uniform references it measured.
        for label in ["uniform int8", "uniform int4", "uniform fp16"] {
            let reference = try XCTUnwrap(outcome.visited.first { $0.label == label })
            XCTAssertTrue(outcome.paretoFront.contains { $0.sizeBytes <= reference.sizeBytes && $0.value >= reference.value },
                          label)
        }
        let fp32 = try F.directMetric(session, data, .identity(layers: session.layers))
        XCTAssertEqual(outcome.value, top1)
        XCTAssertGreaterThanOrEqual(top1, fp32 - 0.01)
        XCTAssertLessThanOrEqual(Double(outcome.sizeBytes), 0.6 * Double(outcome.int8Bytes),
                                 "size \(outcome.sizeBytes) vs int8 \(outcome.int8Bytes)")
    }
}
