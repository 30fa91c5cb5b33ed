import XCTest
@testable import LatheCore

/// Sweeps that visit the least certain samples first and stop once the samples left keep their predictions
/// (`MarginStop`), on the bundled MobileNet and its 2,000 images.
final class MarginStopTests: XCTestCase {
    private func sweep(_ evaluator: PlanEvaluator, stopLoss: Double?) throws -> SensitivityReport {
        try SensitivitySweep.run(evaluator: evaluator, request: SensitivityRequest(
            levels: SensitivityLevels(bits: [4, 8]), model: "mobilenet", modelHash: "m", stopLoss: stopLoss))
    }

    /// Every entry that ran only its least certain samples has the value running every sample gives, and the
    /// 8-bit entries (whose changes are far below most margins) stop that way on a fraction of the set.
    func testEntriesOnTheLeastCertainSamplesEqualEverySample() throws {
        let (session, dataset) = try LiveFixtures.sample("mobilenet")
        let options = EvaluatorOptions(batchSize: 64, threads: 2)
        let stopped = try sweep(PlanEvaluator(session: session, dataset: dataset, options: options),
                                stopLoss: SensitivityRequest.defaultStopLoss)
        let full = try sweep(PlanEvaluator(session: session, dataset: dataset, options: options), stopLoss: nil)
        XCTAssertEqual(stopped.baseline.value, full.baseline.value)
        var settled = 0
        for (entry, exact) in zip(stopped.layers, full.layers) {
            XCTAssertTrue(exact.settledByMargin.isEmpty)
            for (level, ran) in entry.settledByMargin {
                settled += 1
                XCTAssertGreaterThan(ran, 0)
                XCTAssertLessThan(ran, dataset.count)
                XCTAssertEqual(entry.value(at: level), exact.value(at: level), "\(entry.name) \(level.phaseLabel)")
            }
            for level in [SensitivityLevel.bits(4), .bits(8)] where entry.partial[level] == nil {
                XCTAssertEqual(entry.value(at: level), exact.value(at: level), "\(entry.name) \(level.phaseLabel)")
            }
            let eight = try XCTUnwrap(entry.settledByMargin[.bits(8)], "\(entry.name) 8 bits ran every sample")
            XCTAssertLessThanOrEqual(eight, dataset.count / 4, entry.name)
        }
        XCTAssertGreaterThanOrEqual(settled, stopped.layers.count)
        // The JSON keeps the samples each ran.
        let parsed = try SensitivityReport.parse(Data(stopped.renderJSON().utf8), path: "report.json")
        XCTAssertEqual(parsed.layers.map(\.settledByMargin), stopped.layers.map(\.settledByMargin))
    }

    /// A reordered evaluator scores a plan as the evaluator it reorders does, starting from that evaluator's
    /// baseline outputs and gathering its cached checkpoints rather than recomputing them.
    func testAReorderingScoresAlikeFromTheSourcesCache() throws {
        let (session, dataset) = try LiveFixtures.sample("mobilenet", limit: 200)
        let evaluator = try PlanEvaluator(session: session, dataset: dataset, options: EvaluatorOptions(batchSize: 64))
        let source = PlanScorer(evaluator: evaluator)
        let layers = session.layers
        let last = try XCTUnwrap(layers.last)
        let plan = CompressionPlan(layers: layers, settings: [last.name: LayerSettings(bits: .integer(2))])
        let context = JobContext.direct(scorer: source)
        _ = try context.evaluate(.identity(layers: layers), .checkpoints, nil)
        let expected = try context.evaluate(plan, .nothing, nil)

        let reordered = try evaluator.reordered(by: Array(evaluator.schedule.order.reversed()))
        let scorer = PlanScorer(evaluator: reordered, reordering: source)
        XCTAssertTrue(scorer.baselineComplete)
        XCTAssertEqual(scorer.baselineValue, source.baselineValue)
        let before = evaluator.activations.statistics
        let tally = try context.on(scorer).evaluate(plan, .nothing, nil)
        let after = evaluator.activations.statistics
        XCTAssertEqual(tally.value, expected.value)
        XCTAssertEqual(tally.totals.labelHits, expected.totals.labelHits)
        XCTAssertEqual(tally.totals.agreements, expected.totals.agreements)
        XCTAssertEqual(tally.totals.largestChange, expected.totals.largestChange)
        // Every reordered batch (the last one of 8 samples included) gathered a value from the source's batches:
        // it holds none of its own, so each hit is a gather.
        XCTAssertGreaterThanOrEqual(after.hits - before.hits, reordered.schedule.batchCount)
        XCTAssertThrowsError(try evaluator.reordered(by: Array(0..<199)))
    }

    /// A plan that changes more than the margins allow is run on every sample; one that changes nothing stops
    /// after the first batch.
    func testStopsOnlyWhenTheChangeSeenIsFarBelowTheMarginsLeft() {
        var unchanged = ScoreTotals()
        unchanged.samples = 10
        unchanged.positions = 10
        unchanged.agreements = 10
        let stop = MarginStop(factor: 4, batchMargins: [0.5, 3, 2, 9], unchanged: Array(repeating: unchanged, count: 4))
        var seen = ScoreTotals()
        seen.largestChange = 0.2
        // Margins from batch 1 on are at least 2: 2 × 4 × 0.2 = 1.6 < 2.
        XCTAssertTrue(stop.settles(after: seen, scored: 1))
        XCTAssertFalse(stop.settles(after: seen, scored: 0))
        XCTAssertFalse(stop.settles(after: seen, scored: 4))
        seen.largestChange = 0.25
        XCTAssertFalse(stop.settles(after: seen, scored: 1))
        XCTAssertTrue(stop.settles(after: seen, scored: 3))
        seen.largestChange = .infinity
        XCTAssertFalse(stop.settles(after: seen, scored: 3))
        XCTAssertEqual(MarginStop.order([5, 3, 1, 0, 2, 4], margins: [2, 1, 0, 1, 3, 0]), [5, 2, 3, 1, 0, 4])
    }

    /// Without class scores (a regression), a base plan other than the uncompressed model, or with
    /// `--stop-at none`, every entry runs in the evaluation order.
    func testAppliesToArgmaxMetricsOverTheUncompressedModelOnly() throws {
        let (session, dataset) = try LiveFixtures.sample("mobilenet", limit: 128)
        let evaluator = try PlanEvaluator(session: session, dataset: dataset, options: EvaluatorOptions(batchSize: 64))
        XCTAssertTrue(SensitivitySweep.stopsOnMargins(evaluator: evaluator, base: nil, stopLoss: 0.05))
        XCTAssertFalse(SensitivitySweep.stopsOnMargins(evaluator: evaluator, base: nil, stopLoss: nil))
        let first = try XCTUnwrap(session.layers.first)
        let base = CompressionPlan(layers: session.layers, settings: [first.name: LayerSettings(bits: .integer(8))])
        XCTAssertFalse(SensitivitySweep.stopsOnMargins(evaluator: evaluator, base: base, stopLoss: 0.05))
        var sqnr = EvaluatorOptions(batchSize: 64)
        sqnr.scoring = ScoringRequest(metric: .sqnr, classAxis: nil)
        let regression = try PlanEvaluator(session: session, dataset: dataset, options: sqnr)
        XCTAssertFalse(SensitivitySweep.stopsOnMargins(evaluator: regression, base: nil, stopLoss: 0.05))
    }
}
