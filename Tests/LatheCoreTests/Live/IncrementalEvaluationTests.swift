import XCTest
@testable import LatheCore

/// The activation cache on a residual DAG: ancestry, exact reuse, and that a
/// seeded run really skips the work upstream of the changed layer. The DAG's
/// convs are too small for any layer input to be a checkpoint at the default
/// cost, so these runs make every layer input one (`CheckpointTests` has the policy).
final class IncrementalEvaluationTests: XCTestCase {
    typealias F = LiveFixtures

    static func everyInputCached(batchSize: Int = 8, threads: Int = 2) -> EvaluatorOptions {
        EvaluatorOptions(batchSize: batchSize, threads: threads, checkpointMACsPerElement: 0)
    }

    func testAncestryFollowsTheGraphNotTheLayerOrder() throws {
        let session = try F.residualSession()
        let ancestry = LayerAncestry(session: session)
        let names = session.layers.map(\.name)
        XCTAssertEqual(names, ["a.weight", "b.weight", "c.weight", "fc.weight"])
        let upstream = Dictionary(uniqueKeysWithValues: ancestry.cached.map { ($0.name, $0.upstream.map { names[$0] }) })
        XCTAssertEqual(upstream["a"], ["a.weight"])           // conv_b's input (also the residual's)
        XCTAssertEqual(upstream["c"], ["a.weight", "b.weight"])  // conv_c's input: both residual branches
        XCTAssertEqual(upstream["f"], ["a.weight", "b.weight", "c.weight"])
        XCTAssertEqual(ancestry.outputUpstream.map { names[$0] }, names)
    }

    /// Every batch's output under a sequence of plans, with the cache warm from
    /// the previous ones, equals a cold run of the same batch, bit for bit.
    func testCachedOutputsEqualColdRunsOnAResidualDAG() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 50)
        let evaluator = try PlanEvaluator(session: session, dataset: data,
                                          options: Self.everyInputCached())
        let plans: [[String: LayerSettings]] = [
            [:], ["b.weight": F.bits(2)], ["c.weight": F.bits(3)], ["b.weight": F.bits(2), "c.weight": F.bits(3)],
            ["a.weight": F.bits(4)], ["fc.weight": F.bits(2)], ["b.weight": F.bits(2)],
            ["c.weight": LayerSettings(bits: .integer(4), activationBits: 4)], [:],
        ]
        for changes in plans {
            let plan = F.plan(session, changes)
            let prepared = try evaluator.prepare(plan)
            for batch in 0..<evaluator.schedule.batchCount {
                let cached = try evaluator.output(ofBatch: batch, prepared: prepared, store: .checkpoints)
                let cold = try session.run(evaluator.schedule.inputs(ofBatch: batch, from: evaluator.feedData),
                                           options: prepared.runOptions)
                XCTAssertEqual(cached, cold.output, "plan \(changes), batch \(batch)")
            }
        }
        XCTAssertGreaterThan(evaluator.activations.statistics.hits, 0)
    }

    /// After the cache is warm, changing the last conv runs neither earlier conv;
    /// changing the middle one re-runs it but not the first.
    func testSeededRunsSkipUpstreamSteps() throws {
        let counts = LockedBox<[String: Int]>([:])
        var kernels = OpRegistry.kernels(opset: 17)
        if let conv = kernels["Conv"] {
            kernels["Conv"] = { node, inputs in
                counts.withLock { $0[node.displayName, default: 0] += 1 }
                return try conv(node, inputs)
            }
        }
        let session = try F.residualSession(kernels: kernels)
        let data = F.residualData(count: 16)
        let evaluator = try PlanEvaluator(session: session, dataset: data,
                                          options: Self.everyInputCached(threads: 1))
        func runAll(_ changes: [String: LayerSettings]) throws -> [String: Int] {
            counts.withLock { $0 = [:] }
            let prepared = try evaluator.prepare(F.plan(session, changes))
            for batch in 0..<2 { _ = try evaluator.output(ofBatch: batch, prepared: prepared, store: .checkpoints) }
            return counts.withLock { $0 }
        }
        XCTAssertEqual(try runAll([:]), ["conv_a": 2, "conv_b": 2, "conv_c": 2])
        XCTAssertEqual(try runAll(["c.weight": F.bits(4)]), ["conv_c": 2])
        XCTAssertEqual(try runAll(["b.weight": F.bits(4)]), ["conv_b": 2, "conv_c": 2])
        // Back to the first plan: the cache holds the latest plan's activations per value, so what
        // lies downstream of b is recomputed (a's output is still valid: only a is upstream of it).
        XCTAssertEqual(try runAll([:]), ["conv_b": 2, "conv_c": 2])
        XCTAssertEqual(try runAll([:]), [:])
    }

    func testCacheDisabledGivesTheSameOutputs() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 20)
        let cold = try PlanEvaluator(session: session, dataset: data,
                                     options: EvaluatorOptions(batchSize: 8, threads: 1, cacheCapacityBytes: 0))
        let warm = try PlanEvaluator(session: session, dataset: data, options: Self.everyInputCached())
        let identity = CompressionPlan.identity(layers: session.layers)
        let plan = F.plan(session, ["b.weight": F.bits(2)])
        func outputs(_ evaluator: PlanEvaluator, _ plan: CompressionPlan) throws -> Tensor {
            try evaluator.outputs(evaluator.prepare(plan), phase: "", progress: nil, isCancelled: { false })
        }
        _ = try outputs(warm, identity)
        XCTAssertGreaterThan(warm.cacheBytes, 0)
        let warmOutputs = try outputs(warm, plan)
        XCTAssertGreaterThan(warm.activations.statistics.hits, 0)
        XCTAssertEqual(try outputs(cold, plan), warmOutputs)
        XCTAssertEqual(cold.cacheBytes, 0)
        // The one-pass whole evaluation (no shared cache) gives the same outputs too.
        XCTAssertEqual(try cold.evaluate(plan).outputs, warmOutputs)
    }

    /// `PlanEvaluator.evaluate` (what `lathe eval` calls) equals plain
    /// cache-free session runs over the dataset in order, batch by batch.
    func testWholeEvaluationMatchesThePlainEvaluator() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 45)
        let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(batchSize: 8))
        let plan = F.plan(session, ["b.weight": F.bits(2), "fc.weight": LayerSettings(bits: .integer(3), prune: 0.5)])
        let result = try evaluator.evaluate(plan)
        let weights = try Compressor.compress(weights: session.weights, layers: session.layers, plan: plan)
        /// Outputs of `options` for every sample, batches of 8 in dataset order, one thread.
        func plainOutputs(_ options: RunOptions) throws -> Tensor {
            var floats: [Float] = []
            var shape: [Int] = []
            for start in stride(from: 0, to: data.count, by: 8) {
                let output = try session.run(data.batch(start..<min(start + 8, data.count)), options: options).output
                floats += output.floats
                shape = Array(output.shape.dropFirst())
            }
            return Tensor(shape: [data.count] + shape, floats: floats)
        }
        let plain = try plainOutputs(RunOptions(weights: weights))
        XCTAssertEqual(result.outputs, plain)
        let reference = try plainOutputs(RunOptions())
        let expected = try Metrics(outputs: plain, labels: data.labels, reference: reference)
        XCTAssertEqual(result.totals.value(of: .top1), expected.top1)
        XCTAssertEqual(result.totals.value(of: .agree), expected.agreement)
        XCTAssertEqual(result.classification?.top5, expected.top5)
        XCTAssertEqual(result.classification?.macroF1, expected.macroF1)
        XCTAssertEqual(result.size, SizeModel.report(tensors: session.weights, layers: session.layers, plan: plan))
    }
}
