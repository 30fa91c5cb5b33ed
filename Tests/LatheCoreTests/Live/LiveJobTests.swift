import XCTest
@testable import LatheCore

/// Sweeps and searches as jobs of a live session.
final class LiveJobTests: XCTestCase {
    typealias F = LiveFixtures

    private func request(_ levels: SensitivityLevels) -> SensitivityRequest {
        SensitivityRequest(levels: levels, model: "residual.onnx", modelHash: "m", data: "d", dataHash: "d")
    }

    func testSweepJobEqualsTheStandaloneSweepAndReportsProgress() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 64)
        let options = EvaluatorOptions(batchSize: 8, threads: 2)
        let recorder = SnapshotRecorder()
        let live = try LiveSession(session: session, dataset: data, options: options, onUpdate: recorder.callback)
        let levels = SensitivityLevels(bits: [2, 4], prune: [0.5])
        let id = live.startSweep(request(levels))
        XCTAssertTrue(live.waitUntilIdle(timeout: 120))
        let job = try XCTUnwrap(live.latest().job)
        XCTAssertEqual(job.id, id)
        XCTAssertEqual(job.kind, .sweep)
        XCTAssertEqual(job.state, .finished)
        XCTAssertEqual(job.done, job.total)
        let progress = recorder.snapshots.compactMap(\.job).filter { $0.state == .running }.map(\.done)
        XCTAssertEqual(progress, progress.sorted())
        XCTAssertGreaterThan(progress.count, 4)
        let standalone = try SensitivitySweep.run(evaluator: try PlanEvaluator(session: session, dataset: data,
                                                                               options: options),
                                                  request: request(levels))
        XCTAssertEqual(live.sensitivity(), standalone)
    }

    /// A plan applied during a sweep is evaluated first; the sweep then resumes
    /// and still produces exactly the standalone results.
    func testApplyPreemptsASweepWhichStillCompletesCorrectly() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 96)
        let options = EvaluatorOptions(batchSize: 8, threads: 2)
        let live = try LiveSession(session: session, dataset: data, options: options)
        let levels = SensitivityLevels(bits: [2, 3, 4], clusters: [2])
        live.startSweep(request(levels))
        usleep(20_000)
        let plan = F.plan(session, ["b.weight": F.bits(2), "fc.weight": F.bits(3)])
        let generation = live.apply(plan)
        XCTAssertTrue(live.waitUntilIdle(timeout: 120))
        let final = live.latest()
        XCTAssertEqual(final.generation, generation)
        XCTAssertTrue(final.isFinal)
        XCTAssertEqual(final.value, try F.directMetric(session, data, plan, batchSize: 8))
        XCTAssertEqual(final.job?.state, .finished)
        let standalone = try SensitivitySweep.run(evaluator: try PlanEvaluator(session: session, dataset: data,
                                                                               options: options),
                                                  request: request(levels))
        XCTAssertEqual(live.sensitivity(), standalone)
    }

    func testCancelledJobStopsWithoutLeakingWork() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 2000)
        let live = try LiveSession(session: session, dataset: data, options: EvaluatorOptions(batchSize: 8))
        live.startSweep(request(SensitivityLevels(bits: [2, 3, 4, 5, 6, 7], clusters: [2, 4, 8, 16])))
        // Cancelled once it has done some entries, not after a fixed sleep: a faster engine
        // finished the whole sweep within one.
        let started = Date()
        while live.latest().job.map({ $0.isRunning && $0.done > 0 }) != true, Date().timeIntervalSince(started) < 60 {
            usleep(1000)
        }
        let atCancel = try XCTUnwrap(live.latest().job)
        XCTAssertTrue(atCancel.isRunning && atCancel.done < atCancel.total, "the sweep ended before it could be cancelled")
        live.cancelJob()
        XCTAssertTrue(live.waitUntilIdle(timeout: 60))
        XCTAssertEqual(live.latest().job?.state, .cancelled)
        XCTAssertEqual(live.runningBatches, 0)
        // A new job replaces a queued or running one.
        let first = live.startSweep(request(SensitivityLevels(bits: [2])))
        let second = live.startSweep(request(SensitivityLevels(bits: [3])))
        XCTAssertTrue(live.waitUntilIdle(timeout: 60))
        XCTAssertEqual(live.latest().job?.id, second)
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(live.latest().job?.state, .finished)
        XCTAssertEqual(live.sensitivity()?.baseline.levels.bits, [3])
    }

    func testSearchJobLeavesItsOutcome() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 48)
        let live = try LiveSession(session: session, dataset: data, options: EvaluatorOptions(batchSize: 8))
        live.startSearch(SearchRequest(constraint: .maxDrop(0.05), bits: [2, 4, 8], model: "m", modelHash: "m",
                                       data: "d", dataHash: "d"))
        XCTAssertTrue(live.waitUntilIdle(timeout: 120))
        XCTAssertEqual(live.latest().job?.kind, .search)
        XCTAssertEqual(live.latest().job?.state, .finished)
        let outcome = try XCTUnwrap(live.searchOutcome())
        XCTAssertTrue(outcome.satisfied)
        XCTAssertEqual(outcome.value, try F.directMetric(session, data, outcome.plan, batchSize: 8))
        XCTAssertNotNil(live.sensitivity())
    }
}
