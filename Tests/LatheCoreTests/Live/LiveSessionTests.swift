import XCTest
@testable import LatheCore

/// Generations, streaming, cancellation and final numbers of the live session.
final class LiveSessionTests: XCTestCase {
    typealias F = LiveFixtures

    private func liveSession(_ session: InferenceSession, _ data: Dataset, batchSize: Int = 16, threads: Int = 2,
                             recorder: SnapshotRecorder? = nil) throws -> LiveSession {
        var onUpdate: @Sendable (LiveSnapshot) -> Void = { _ in }
        if let recorder { onUpdate = recorder.callback }
        let live = try LiveSession(session: session, dataset: data,
                                   options: EvaluatorOptions(batchSize: batchSize, threads: threads),
                                   onUpdate: onUpdate)
        return live
    }

    func testApplyPublishesSizeAtOnceThenTheFinalEqualsDirectEvaluation() throws {
        let (session, data) = try F.sample("mobilenet", limit: 300)
        let live = try liveSession(session, data)
        let plan = F.plan(session, [session.layers[0].name: F.bits(2), session.layers[3].name: F.bits(3)])
        let generation = live.apply(plan)
        XCTAssertEqual(generation, 1)
        let first = live.latest()
        let size = SizeModel.report(tensors: session.weights, layers: session.layers, plan: plan)
        XCTAssertEqual(first.generation, 1)
        XCTAssertEqual(first.sizeBytes, size.totalBytes)
        XCTAssertEqual(first.baselineBytes, size.baselineBytes)
        XCTAssertEqual(first.bops, size.totalBOPs)
        XCTAssertEqual(first.compressionRatio, size.compressionRatio, accuracy: 1e-12)
        XCTAssertFalse(first.isFinal)
        XCTAssertEqual(first.metric, .top1)

        XCTAssertTrue(live.waitUntilIdle(timeout: 120))
        let final = live.latest()
        XCTAssertTrue(final.isFinal)
        XCTAssertEqual(final.samplesDone, 300)
        XCTAssertEqual(final.samplesTotal, 300)
        XCTAssertNil(final.error)
        let expected = try F.directMetric(session, data, plan)
        XCTAssertEqual(try XCTUnwrap(final.value), expected, accuracy: 0)
        XCTAssertEqual(try XCTUnwrap(final.baselineValue),
                       try F.directMetric(session, data, .identity(layers: session.layers)), accuracy: 0)
        let interval = try XCTUnwrap(final.interval)
        XCTAssertTrue(interval.contains(expected))
        XCTAssertEqual(live.runningBatches, 0)
    }

    func testAccuracyStreamsBatchByBatchWithIntervals() throws {
        let (session, data) = try F.sample("mobilenet", limit: 256)
        let recorder = SnapshotRecorder()
        let live = try liveSession(session, data, batchSize: 32, threads: 1, recorder: recorder)
        XCTAssertTrue(live.waitUntilIdle(timeout: 120))
        let generation = live.apply(F.plan(session, [session.layers[1].name: F.bits(2)]))
        XCTAssertTrue(live.waitUntilIdle(timeout: 120))
        let mine = recorder.snapshots.filter { $0.generation == generation }
        let streaming = mine.filter { $0.hasMetric && !$0.isFinal }
        // One running snapshot per batch of 32, then the final one.
        XCTAssertEqual(streaming.map(\.samplesDone), Array(stride(from: 32, through: 256, by: 32)))
        for snapshot in streaming {
            let value = try XCTUnwrap(snapshot.value)
            XCTAssertTrue(try XCTUnwrap(snapshot.interval).contains(value))
            XCTAssertNotNil(snapshot.baselineOnDone)
        }
        XCTAssertEqual(mine.last?.isFinal, true)
        XCTAssertEqual(mine.first?.hasMetric, false, "size comes first, without a metric")
        // Generations never go backwards in what the UI sees.
        let generations = recorder.snapshots.map(\.generation)
        XCTAssertEqual(generations, generations.sorted())
    }

    func testNewerApplyStopsOlderWorkAndWins() throws {
        let (session, data) = try F.sample("mobilenet", limit: 400)
        let recorder = SnapshotRecorder()
        let live = try liveSession(session, data, recorder: recorder)
        let slow = F.plan(session, [session.layers[0].name: LayerSettings(clusters: 4)])
        let fast = F.plan(session, [try XCTUnwrap(session.layers.last).name: F.bits(4)])
        let g1 = live.apply(slow)
        let g2 = live.apply(fast)
        XCTAssertEqual(g2, g1 + 1)
        XCTAssertTrue(live.waitUntilIdle(timeout: 120))
        let final = live.latest()
        XCTAssertEqual(final.generation, g2)
        XCTAssertTrue(final.isFinal)
        XCTAssertEqual(try XCTUnwrap(final.value), try F.directMetric(session, data, fast), accuracy: 0)
        XCTAssertFalse(recorder.snapshots.contains { $0.generation == g1 && $0.isFinal },
                       "the superseded generation never finished")
    }

    /// 1,000 rapid applies: no leaked work, and the last plan's exact numbers.
    func testCancellationStormEndsWithTheRightFinalNumbers() throws {
        let (session, data) = try F.sample("mobilenet", limit: 200)
        let live = try liveSession(session, data)
        var random = LatheCore.SplitMix64(seed: 3)
        var last = CompressionPlan.identity(layers: session.layers)
        var generation = 0
        for _ in 0..<1000 {
            let layer = session.layers[Int(random.next() % UInt64(session.layers.count))]
            last.set(F.bits(2 + Int(random.next() % 7)), for: layer.name)
            generation = live.apply(last)
        }
        XCTAssertEqual(generation, 1000)
        XCTAssertTrue(live.waitUntilIdle(timeout: 300))
        XCTAssertEqual(live.runningBatches, 0)
        XCTAssertTrue(live.isIdle)
        let final = live.latest()
        XCTAssertEqual(final.generation, 1000)
        XCTAssertTrue(final.isFinal)
        XCTAssertEqual(try XCTUnwrap(final.value), try F.directMetric(session, data, last), accuracy: 0)
        XCTAssertEqual(final.sizeBytes, live.evaluator.sizeReport(last).totalBytes)
    }

    func testFinalNumbersDoNotDependOnThreadsOrHistory() throws {
        let (session, data) = try F.sample("mobilenet", limit: 200)
        let target = F.plan(session, [session.layers[2].name: F.bits(2), session.layers[5].name: F.bits(2)])
        let one = try liveSession(session, data, batchSize: 16, threads: 1)
        one.apply(target)
        XCTAssertTrue(one.waitUntilIdle(timeout: 120))
        let two = try liveSession(session, data, batchSize: 16, threads: 2)
        for layer in session.layers.prefix(6) { two.apply(F.plan(session, [layer.name: F.bits(3)])) }
        two.apply(target)
        XCTAssertTrue(two.waitUntilIdle(timeout: 120))
        XCTAssertEqual(one.latest().value, two.latest().value)
        XCTAssertEqual(one.latest().samplesDone, two.latest().samplesDone)
    }

    func testReturningToAPlanShowsItsFinalAtOnce() throws {
        let (session, data) = try F.sample("mobilenet", limit: 128)
        let live = try liveSession(session, data)
        let a = F.plan(session, [session.layers[1].name: F.bits(2)])
        live.apply(a)
        XCTAssertTrue(live.waitUntilIdle(timeout: 120))
        let before = live.latest()
        live.apply(F.plan(session, [session.layers[2].name: F.bits(2)]))
        XCTAssertTrue(live.waitUntilIdle(timeout: 120))
        live.apply(a)
        XCTAssertTrue(live.waitUntilIdle(timeout: 120))
        XCTAssertEqual(live.latest().value, before.value)
        XCTAssertTrue(live.latest().isFinal)
    }

    /// Every snapshot of a plan, from its size to its final, carries the tag it was applied with,
    /// and what `onUpdate` hands over is never older than what it handed before.
    func testSnapshotsEchoTheTagOfTheirPlan() throws {
        let (session, data) = try F.sample("digits_mlp", limit: 128)
        let recorder = SnapshotRecorder()
        let live = try liveSession(session, data, recorder: recorder)
        XCTAssertNil(live.latest().tag)
        let generation = live.apply(F.plan(session, [session.layers[0].name: F.bits(3)]), tag: 41)
        XCTAssertEqual(live.latest().tag, 41)
        XCTAssertTrue(live.waitUntilIdle(timeout: 60))
        XCTAssertEqual(live.latest().tag, 41)
        XCTAssertTrue(live.latest().isFinal)
        let mine = recorder.snapshots.filter { $0.generation == generation }
        XCTAssertFalse(mine.isEmpty)
        XCTAssertTrue(mine.allSatisfy { $0.tag == 41 })
        XCTAssertTrue(recorder.snapshots.filter { $0.generation == 0 }.allSatisfy { $0.tag == nil })
        XCTAssertEqual(recorder.snapshots.last, live.latest())
    }

    func testInvalidPlanReportsAnErrorAndRunsNothing() throws {
        let (session, data) = try F.sample("mobilenet", limit: 64)
        let live = try liveSession(session, data)
        XCTAssertTrue(live.waitUntilIdle(timeout: 60))
        var settings = LayerSettings(bits: .integer(4))
        settings.rank = 0.5  // a 3×3 convolution cannot be factorised
        let generation = live.apply(F.plan(session, [session.layers[0].name: settings]))
        let snapshot = live.latest()
        XCTAssertEqual(snapshot.generation, generation)
        XCTAssertNotNil(snapshot.error)
        XCTAssertTrue(live.waitUntilIdle(timeout: 60))
        XCTAssertFalse(live.latest().hasMetric)
    }

    func testWithoutLabelsTheMetricIsAgreement() throws {
        let (session, labelled) = try F.sample("mobilenet", limit: 96)
        let data = Dataset(arrays: labelled.arrays, labels: nil, path: labelled.path)
        let live = try liveSession(session, data)
        XCTAssertEqual(live.metric, .agree)
        let plan = F.plan(session, [session.layers[0].name: F.bits(2)])
        live.apply(plan)
        XCTAssertTrue(live.waitUntilIdle(timeout: 60))
        let final = live.latest()
        XCTAssertEqual(final.metric, .agree)
        XCTAssertEqual(final.baselineValue, 1)
        XCTAssertEqual(try XCTUnwrap(final.value), try F.directMetric(session, data, plan), accuracy: 0)
    }

    func testActivationQuantizationMatchesTheDirectCalibration() throws {
        let (session, data) = try F.sample("mobilenet", limit: 300)
        let live = try liveSession(session, data)
        var settings = F.bits(4)
        settings.activationBits = 4
        let plan = F.plan(session, [session.layers[2].name: settings, session.layers[4].name: settings])
        live.apply(plan)
        XCTAssertTrue(live.waitUntilIdle(timeout: 120))
        XCTAssertEqual(try XCTUnwrap(live.latest().value), try F.directMetric(session, data, plan), accuracy: 0)
    }
}
