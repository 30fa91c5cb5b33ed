import XCTest
@testable import LatheCore

/// Sweep levels that stop once certain to lose the stop loss (`LossCutoff`, `SettledPrefix`).
final class SensitivityEarlyStopTests: XCTestCase {
    typealias F = LiveFixtures

    private func sweep(_ session: InferenceSession, _ data: Dataset, levels: SensitivityLevels, stopLoss: Double?,
                       threads: Int) throws -> SensitivityReport {
        let evaluator = try PlanEvaluator(session: session, dataset: data,
                                          options: EvaluatorOptions(batchSize: 32, threads: threads))
        return try SensitivitySweep.run(evaluator: evaluator, request: SensitivityRequest(
            levels: levels, model: "mobilenet", modelHash: "m", data: "d", dataHash: "d", stopLoss: stopLoss))
    }

    /// On the MobileNet sample (640 images, 20 batches): a stopped level certainly loses the stop loss on the whole
    /// set (checked against the full pass), its value is the direct evaluation of the samples it ran (the first in
    /// the sweep's order: least certain first, `MarginStop`), its bound is
    /// what those samples leave reachable, it stopped at the first batch that decided it, and the result does not
    /// depend on the threads. Levels that did not stop equal the full sweep's.
    func testStoppedLevelsCertainlyLoseTheStopLossAndHoldTheirSamplesValue() throws {
        let (session, data) = try F.sample("mobilenet", limit: 640)
        let levels = SensitivityLevels(bits: [2, 4])
        let loss = 0.05
        let exact = try sweep(session, data, levels: levels, stopLoss: nil, threads: 2)
        let stopped = try sweep(session, data, levels: levels, stopLoss: loss, threads: 2)
        XCTAssertEqual(try sweep(session, data, levels: levels, stopLoss: loss, threads: 1), stopped)
        XCTAssertEqual(stopped.baseline.value, exact.baseline.value)
        XCTAssertEqual(stopped.baseline.stopLoss, loss)
        XCTAssertTrue(exact.layers.allSatisfy { $0.partial.isEmpty })
        let baseline = try XCTUnwrap(exact.baseline.value)
        let total = Double(data.count)
        var stops = 0
        for (full, entry) in zip(exact.layers, stopped.layers) {
            for level in levels.entries {
                let label = "\(entry.name) \(level.phaseLabel)"
                guard let partial = entry.partial[level] else {
                    XCTAssertEqual(entry.value(at: level), full.value(at: level), label)
                    continue
                }
                stops += 1
                let whole = try XCTUnwrap(full.value(at: level))
                let value = try XCTUnwrap(entry.value(at: level))
                XCTAssertGreaterThanOrEqual(baseline - whole, loss, "\(label): stopped, yet loses less on all samples")
                XCTAssertLessThan(partial.samples, data.count, label)
                XCTAssertEqual(partial.samples % 32, 0, "\(label): stops at a batch boundary")
                let plan = F.plan(session, [entry.name: level.settings])
                XCTAssertEqual(value, try F.directMetric(session, try visited(session, data, partial.samples), plan,
                                                         batchSize: 32), label)
                // Top-1 on one position per sample: the samples run as scored, every other one right.
                let samples = Double(partial.samples)
                XCTAssertEqual(partial.bound, (value * samples + total - samples) / total, accuracy: 1e-12, label)
                XCTAssertGreaterThanOrEqual(partial.bound, whole, label)
                XCTAssertGreaterThanOrEqual(baseline - partial.bound, loss, label)
                // One batch fewer did not decide it.
                if partial.samples > 32 {
                    let fewer = partial.samples - 32
                    let before = try F.directMetric(session, try visited(session, data, fewer), plan, batchSize: 32)
                    let reachable = (before * Double(fewer) + total - Double(fewer)) / total
                    XCTAssertLessThan(baseline - reachable, loss, "\(label): could have stopped a batch earlier")
                }
            }
        }
        XCTAssertGreaterThan(stops, 0, "2 bits loses far more than 5 points on several MobileNet layers")
    }

    /// The first `count` samples in the order a sweep visits them: evaluation order (classes interleaved,
    /// `EvaluationSchedule`) sorted by the uncompressed model's margin between its top two classes.
    private func visited(_ session: InferenceSession, _ data: Dataset, _ count: Int) throws -> Dataset {
        let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(batchSize: 32))
        let scorer = PlanScorer(evaluator: evaluator)
        _ = try JobContext.direct(scorer: scorer).evaluate(.identity(layers: session.layers), .nothing, nil)
        let margins = try XCTUnwrap(scorer.sampleMargins())
        let chosen = Array(MarginStop.order(evaluator.schedule.order, margins: margins).prefix(count))
        let x = try XCTUnwrap(try data.primary?.tensor)
        let per = x.shape.dropFirst().reduce(1, *)
        let shape = [count] + Array(x.shape.dropFirst())
        let rows = chosen.flatMap { ($0 * per)..<(($0 + 1) * per) }
        let inputs = x.isFloat ? Tensor(shape: shape, floats: rows.map { x.floats[$0] }, dtype: x.dtype)
            : Tensor(shape: shape, ints: rows.map { x.ints[$0] }, dtype: x.dtype)
        let labels = try XCTUnwrap(data.labels)
        return Dataset(inputs: inputs, labels: chosen.map { labels[$0] }, path: data.path)
    }

    /// A stop loss that is not a positive number is refused before anything runs.
    func testStopLossMustBePositive() throws {
        let (session, data) = try F.sample("mobilenet", limit: 64)
        for bad in [0, -0.1, .nan, .infinity] {
            XCTAssertThrowsError(try sweep(session, data, levels: SensitivityLevels(bits: [2]), stopLoss: bad,
                                           threads: 1), "\(bad)")
        }
    }

    /// Totals of one run of output `out` against reference `ref` (the float sums; argmax counts set apart).
    private func totals(_ out: [Double], _ ref: [Double], labels: [Double]? = nil) -> ScoreTotals {
        var t = ScoreTotals()
        t.samples = 1
        for (o, r) in zip(out, ref) {
            t.referenceEnergy += r * r
            t.errorEnergy += (o - r) * (o - r)
            t.crossProduct += o * r
            t.outputEnergy += o * o
        }
        if let labels {
            t.labelElements = labels.count
            for (o, y) in zip(out, labels) {
                t.squaredError += (o - y) * (o - y)
                t.absoluteError += abs(o - y)
            }
        }
        return t
    }

    /// The bound is never beaten by any way the unscored part could turn out, and is reached by the best one.
    func testBoundsHoldForEveryCompletionAndAreTight() {
        var random = SystemRandomNumberGenerator()
        func vector(_ n: Int) -> [Double] { (0..<n).map { _ in Double.random(in: -1...1, using: &random) } }
        for _ in 0..<200 {
            let scored = Int.random(in: 1...6), rest = Int.random(in: 1...6)
            let out = vector(scored), refA = vector(scored), refB = vector(rest), labelsA = vector(scored),
                labelsB = vector(rest)
            let prefix = totals(out, refA, labels: labelsA)
            let whole = totals(refA + refB, refA + refB, labels: labelsA + labelsB)
            for metric in [ScoreMetric.cosine, .sqnr, .mse, .mae] {
                let cutoff = LossCutoff(metric: metric, loss: 0.05, baseline: metric == .sqnr ? .infinity : 0,
                                        whole: whole)
                guard let bound = cutoff.bestValue(after: prefix) else { return XCTFail("\(metric): no bound") }
                let higherIsBetter = metric.higherIsBetter
                for _ in 0..<20 {
                    let completion = totals(out + vector(rest), refA + refB, labels: labelsA + labelsB)
                    let value = completion.value(of: metric) ?? .nan
                    if higherIsBetter {
                        XCTAssertLessThanOrEqual(value, bound + 1e-9, "\(metric)")
                    } else {
                        XCTAssertGreaterThanOrEqual(value, bound - 1e-9, "\(metric)")
                    }
                }
                // The best completion: the rest exact (labels for mse and mae), or for cosine along the reference.
                let best: [Double]
                switch metric {
                case .mse, .mae: best = labelsB
                case .cosine:
                    let c = prefix.crossProduct, o = prefix.outputEnergy
                    let rb = refB.reduce(0) { $0 + $1 * $1 }
                    best = c > 0 ? refB.map { $0 * o / c } : refB.map { $0 * 1e9 / rb.squareRoot() }
                default: best = refB
                }
                let reached = totals(out + best, refA + refB, labels: labelsA + labelsB).value(of: metric) ?? .nan
                if metric == .sqnr {
                    XCTAssertEqual(reached, bound, accuracy: 1e-9)
                } else {
                    XCTAssertEqual(reached, bound, accuracy: 1e-6, "\(metric)")
                }
            }
        }
    }

    /// Top-1 and agreement: every unscored position right is the best case.
    func testCountBoundsTakeEveryUnscoredPositionRight() {
        var whole = ScoreTotals()
        whole.samples = 100
        whole.positions = 100
        var prefix = ScoreTotals()
        prefix.samples = 40
        prefix.positions = 40
        prefix.labelHits = 10
        prefix.agreements = 30
        let top1 = LossCutoff(metric: .top1, loss: 0.2, baseline: 0.9, whole: whole)
        XCTAssertEqual(top1.bestValue(after: prefix), 0.7)
        XCTAssertTrue(top1.isSettled(after: prefix))
        let agree = LossCutoff(metric: .agree, loss: 0.2, baseline: 1, whole: whole)
        XCTAssertEqual(agree.bestValue(after: prefix), 0.9)
        XCTAssertFalse(agree.isSettled(after: prefix))
    }
}
