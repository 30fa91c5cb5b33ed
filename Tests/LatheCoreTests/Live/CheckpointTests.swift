import XCTest
@testable import LatheCore

/// Which layer inputs the activation cache keeps (`LayerAncestry.isCheckpoint`), on the bundled
/// MobileNet, and that runs starting from checkpoints give the outputs of cold runs, bit for bit.
final class CheckpointTests: XCTestCase {
    typealias F = LiveFixtures

    /// MACs per element to recompute each layer input from the checkpoint (or data) before it, at 28×28 then
    /// 14, 7, 4: the stem output 9 (one channel, 3×3), block 0's depthwise output 18, its pointwise output
    /// 25 (16 more, and twice the channels), block 1's stride-2 depthwise output 109 (all of that over a
    /// quarter of the elements): the first checkpoint. Block 1's pointwise output 32, block 2's depthwise
    /// output 137, its pointwise output 48 (48 input channels), block 3's depthwise output 9, the pooled
    /// features 1,120.
    func testCheckpointsOfTheBundledMobileNet() throws {
        let (session, _) = try F.sample("mobilenet", limit: 1)
        let ancestry = LayerAncestry(session: session, checkpointMACsPerElement: 48, macsPerCheckpointFloat: 0)
        XCTAssertEqual(ancestry.cached.map(\.name), [
            "normalised", "stem.bn_relu6", "blocks.0.dw_bn_relu6", "blocks.0.pw_bn_relu6", "blocks.1.dw_bn_relu6",
            "blocks.1.pw_bn_hardswish", "blocks.2.dw_bn_relu6", "blocks.2.pw_bn_hardswish", "blocks.3.dw_bn_relu6",
            "flat",
        ])
        let kept = zip(ancestry.cached, ancestry.isCheckpoint).filter(\.1).map(\.0.name)
        XCTAssertEqual(kept, ["blocks.1.dw_bn_relu6", "blocks.2.dw_bn_relu6", "blocks.2.pw_bn_hardswish", "flat"])
        // One MAC more per element and block 2's pointwise output (48) is no longer one; block 3's depthwise
        // output, recomputed from block 2's depthwise output, then costs 156 an element and is.
        let stricter = LayerAncestry(session: session, checkpointMACsPerElement: 49, macsPerCheckpointFloat: 0)
        XCTAssertEqual(zip(stricter.cached, stricter.isCheckpoint).filter(\.1).map(\.0.name),
                       ["blocks.1.dw_bn_relu6", "blocks.2.dw_bn_relu6", "blocks.3.dw_bn_relu6", "flat"])
        XCTAssertEqual(LayerAncestry(session: session, checkpointMACsPerElement: 0).isCheckpoint,
                       [Bool](repeating: true, count: ancestry.cached.count))
    }

    /// The model's MACs, 1,264,880 a sample, allow 4,940 floats at one per 256. The checkpoints at 48 hold 11,856
    /// and at 49 still 9,744, with block 1's depthwise output (109 MACs an element) the cheapest to recompute; past
    /// it, block 2's depthwise output costs 427 an element from the data, and the choice is that, block 3's
    /// depthwise output and the pooled features: 3,472 floats.
    func testCheckpointsFitTheirShareOfTheModelsMACs() throws {
        let (session, _) = try F.sample("mobilenet", limit: 1)
        XCTAssertEqual(session.layers.map(\.macs).reduce(0, +), 1_264_880)
        func kept(_ budget: Int) -> [String] {
            let ancestry = LayerAncestry(session: session, checkpointMACsPerElement: 48, macsPerCheckpointFloat: budget)
            return zip(ancestry.cached, ancestry.isCheckpoint).filter(\.1).map(\.0.name)
        }
        XCTAssertEqual(kept(256), ["blocks.2.dw_bn_relu6", "blocks.3.dw_bn_relu6", "flat"])
        XCTAssertEqual(kept(EvaluatorOptions().macsPerCheckpointFloat), kept(256))
        // A looser bound (one float per 100 MACs: 12,648) holds the threshold's own choice.
        XCTAssertEqual(kept(100), ["blocks.1.dw_bn_relu6", "blocks.2.dw_bn_relu6", "blocks.2.pw_bn_hardswish", "flat"])
        // Room for 97 floats: only the pooled features (96, 1,120 MACs an element) remain; for 95, nothing.
        XCTAssertEqual(kept(13_000), ["flat"])
        XCTAssertEqual(kept(13_300), [])
    }

    /// Plans changing the first, a middle and the last layer, then back: every batch's output equals a
    /// cold run's, the cache holds checkpoints only, and later plans start from them.
    func testRunsFromCheckpointsEqualColdRuns() throws {
        let (session, data) = try F.sample("mobilenet", limit: 192)
        let evaluator = try PlanEvaluator(session: session, dataset: data,
                                          options: EvaluatorOptions(batchSize: 64, threads: 2))
        let layers = session.layers.map(\.name)
        let plans: [[String: LayerSettings]] = [
            [:], [layers[0]: F.bits(4)], [layers[4]: F.bits(3)], [layers[4]: F.bits(3), layers[9]: F.bits(2)],
            [layers[6]: F.bits(2)], [:],
        ]
        let checkpoints = evaluator.ancestry.isCheckpoint.filter { $0 }.count
        for changes in plans {
            let prepared = try evaluator.prepare(F.plan(session, changes))
            for batch in 0..<evaluator.schedule.batchCount {
                let cached = try evaluator.output(ofBatch: batch, prepared: prepared, store: .checkpoints)
                let cold = try session.run(evaluator.schedule.inputs(ofBatch: batch, from: evaluator.feedData),
                                           options: prepared.runOptions)
                XCTAssertEqual(cached, cold.output, "plan \(changes), batch \(batch)")
            }
            XCTAssertEqual(evaluator.activations.count, checkpoints * evaluator.schedule.batchCount, "\(changes)")
        }
        XCTAssertGreaterThan(evaluator.activations.statistics.hits, 0)
    }

    /// A cache with room for half of a pass's checkpoints: the next pass, changing only the last layer, starts the
    /// batches that fit from their pooled features (least-recently-used eviction would have evicted each batch's
    /// just before it was read: no hits), and its outputs are a cold run's.
    func testACapBelowAPassesCheckpointsKeepsTheBatchesThatFit() throws {
        let (session, data) = try F.sample("mobilenet", limit: 640)
        let uncapped = try PlanEvaluator(session: session, dataset: data,
                                         options: EvaluatorOptions(batchSize: 64, threads: 2))
        let identity = CompressionPlan.identity(layers: session.layers)
        _ = try uncapped.outputs(of: identity)
        let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(
            batchSize: 64, threads: 2, cacheCapacityBytes: uncapped.cacheBytes / 2))
        XCTAssertEqual(evaluator.schedule.batchCount, 10)
        _ = try evaluator.outputs(of: identity)
        XCTAssertLessThanOrEqual(evaluator.cacheBytes, uncapped.cacheBytes / 2)
        let before = evaluator.activations.statistics.hits
        let plan = F.plan(session, [session.layers[session.layers.count - 1].name: F.bits(4)])
        let cached = try evaluator.outputs(of: plan)
        // Every batch's checkpoints take the same room, so five of the ten batches fit (six hold some when the two
        // threads' stores split the last one that fits).
        let hits = evaluator.activations.statistics.hits - before
        XCTAssertTrue((5...6).contains(hits), "\(hits) hits")
        let cold = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(
            batchSize: 64, threads: 2, cacheCapacityBytes: 0)).outputs(of: plan)
        XCTAssertEqual(cached, cold)
    }

    /// Kept values are a fraction of every layer input: what a first-layer change writes.
    func testCheckpointsHoldLessThanEveryInput() throws {
        let (session, data) = try F.sample("mobilenet", limit: 128)
        func cacheBytes(_ cost: Int) throws -> Int {
            let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(
                batchSize: 64, threads: 2, checkpointMACsPerElement: cost, macsPerCheckpointFloat: 0))
            _ = try evaluator.outputs(evaluator.prepare(.identity(layers: session.layers)), phase: "", progress: nil,
                                      isCancelled: { false })
            return evaluator.cacheBytes
        }
        let every = try cacheBytes(0), kept = try cacheBytes(48)
        // Per sample, 11,856 of 73,080 floats (the checkpoints' elements; see the test above).
        XCTAssertEqual(Double(kept) / Double(every), 11_856.0 / 73_080.0, accuracy: 0.01)
    }
}
