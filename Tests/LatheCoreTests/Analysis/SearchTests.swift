import XCTest
@testable import LatheCore

final class SearchTests: XCTestCase {
    typealias F = LiveFixtures

    private func request(_ constraint: SearchConstraint, bits: [Int] = [2, 3, 4, 5, 6, 8], prune: [Double] = [],
                         maxEvaluations: Int = 40) -> SearchRequest {
        SearchRequest(constraint: constraint, bits: bits, prune: prune, maxEvaluations: maxEvaluations,
                      model: "m.onnx", modelHash: "m", data: "d.npz", dataHash: "d")
    }

    /// Two layers with hand-made drops: the path takes the cheapest drop per byte first.
    func testPathOrdersMovesByDropPerByteSaved() throws {
        let big = WeightLayer(name: "big", op: .gemm, nodeName: "", shape: [10, 100], channelAxis: 0, reductionAxis: 1,
                              macs: 1000)
        let small = WeightLayer(name: "small", op: .gemm, nodeName: "", shape: [10, 10], channelAxis: 0,
                                reductionAxis: 1, macs: 100)
        var bigEntry = SensitivityReport.Layer(name: "big")
        bigEntry.bits = [2: 0.5, 4: 0.89, 8: 0.9]
        var smallEntry = SensitivityReport.Layer(name: "small")
        smallEntry.bits = [2: 0.8, 4: 0.9, 8: 0.9]
        let report = SensitivityReport(
            baseline: .init(metric: .top1, value: 0.9, samples: 10, model: "", modelHash: "", data: nil, dataHash: nil,
                            method: "", levels: SensitivityLevels(bits: [2, 4, 8]), layerOrder: ["big", "small"]),
            layers: [bigEntry, smallEntry])
        let path = SearchPath(layers: [big, small], weights: [:], sensitivity: report, bits: [2, 4, 8], prune: [])
        XCTAssertEqual(path.start.map(\.option.settings.bits), [.integer(8), .integer(8)])
        // big 8→4 saves 1000·4/8 = 500 bytes for 0.01; small 8→4 saves 50 bytes for free;
        // big 4→2 saves 250 for 0.39; small 4→2 saves 25 for 0.1.
        XCTAssertEqual(path.moves.map(\.label), ["small bits 4", "big bits 4", "big bits 2", "small bits 2"])
        XCTAssertEqual(path.predictedDrop(after: 2), 0.01, accuracy: 1e-12)
        XCTAssertEqual(path.plan(layers: [big, small], after: 1).settings(for: "small").bits, .integer(4))
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

    /// The acceptance goal on the MobileNet sample: under 0.75× uniform int8 with
    /// top-1 within one point of fp32, as measured independently.
    func testMobileNetMaxDropOnePoint() throws {
        let (session, data) = try F.sample("mobilenet")
        let evaluator = try PlanEvaluator(session: session, dataset: data)
        let outcome = try Search.run(evaluator: evaluator, request: request(.maxDrop(0.01)))
        XCTAssertTrue(outcome.satisfied)
        let top1 = try F.directMetric(session, data, outcome.plan)
        let fp32 = try F.directMetric(session, data, .identity(layers: session.layers))
        XCTAssertEqual(outcome.value, top1)
        XCTAssertGreaterThanOrEqual(top1, fp32 - 0.01)
        XCTAssertLessThanOrEqual(Double(outcome.sizeBytes), 0.75 * Double(outcome.int8Bytes),
                                 "size \(outcome.sizeBytes) vs int8 \(outcome.int8Bytes)")
    }
}
