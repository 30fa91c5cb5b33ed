import XCTest
@testable import LatheCore

final class SensitivitySweepTests: XCTestCase {
    typealias F = LiveFixtures

    private func temporaryCache() throws -> SensitivityCache {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("lathe-sensitivity-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        return SensitivityCache(directory: directory)
    }

    private func request(_ levels: SensitivityLevels, shard: SensitivityShard? = nil,
                         cache: SensitivityCache? = nil) -> SensitivityRequest {
        SensitivityRequest(levels: levels, shard: shard, model: "residual.onnx", modelHash: "m", data: "residual.npz",
                           dataHash: "d", cache: cache)
    }

    /// A sweep that counts its plan evaluations.
    private func countingContext(_ evaluator: PlanEvaluator, count: LockedBox<Int>,
                                 cancelAfter: Int = .max) -> JobContext {
        let direct = JobContext.direct(scorer: PlanScorer(evaluator: evaluator))
        return JobContext(scorer: direct.scorer, evaluation: { scorer in
            { plan, store, cutoff in
                let n = count.withLock { $0 += 1; return $0 }
                if n > cancelAfter { throw CancellationError() }
                return try direct.evaluation(scorer)(plan, store, cutoff)
            }
        }, report: { _, _, _ in }, isCancelled: { false })
    }

    func testSQNRHandComputed() throws {
        // Channels [1, 0.5] and [-2, 0.3] at 2 bits (qmax 1): scales 1 and 2;
        // 0.5 → round-half-even 0, 0.3/2 → 0: noise 0.25 + 0.09, signal 5.34.
        let layer = WeightLayer(name: "w", op: .gemm, nodeName: "", shape: [2, 2], channelAxis: 0, reductionAxis: 1,
                                macs: 4)
        let weight = Tensor(shape: [2, 2], floats: [1, 0.5, -2, 0.3])
        let db = try SensitivitySweep.sqnr(weight: weight, layer: layer, bits: 2)
        XCTAssertEqual(db, 10 * log10(5.34 / 0.34), accuracy: 1e-4)
        XCTAssertEqual(try SensitivitySweep.sqnr(weight: weight, layer: layer, bits: 32), .infinity)
        XCTAssertGreaterThan(try SensitivitySweep.sqnr(weight: weight, layer: layer, bits: 8), db)
    }

    /// Each entry equals evaluating the plan with only that layer changed.
    func testEntriesEqualDirectEvaluationWithOnlyThatLayerChanged() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 60)
        let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(batchSize: 8))
        let levels = SensitivityLevels(bits: [2, 3], prune: [0.5], clusters: [2])
        let report = try SensitivitySweep.run(evaluator: evaluator, request: request(levels))
        XCTAssertEqual(report.layers.map(\.name), session.layers.map(\.name))
        XCTAssertEqual(try XCTUnwrap(report.baseline.value),
                       try F.directMetric(session, data, .identity(layers: session.layers), batchSize: 8))
        for layer in session.layers {
            let entry = try XCTUnwrap(report.layer(named: layer.name))
            for level in levels.entries {
                let expected = try F.directMetric(session, data, F.plan(session, [layer.name: level.settings]),
                                                  batchSize: 8)
                XCTAssertEqual(entry.value(at: level), expected, "\(layer.name) \(level.phaseLabel)")
            }
            XCTAssertEqual(Set(entry.sqnrDB.keys), [2, 3])
            let reference = try XCTUnwrap(report.baseline.value)
            let drops = [reference - (entry.bits[2] ?? 0), reference - (entry.prune[0.5] ?? 0),
                         reference - (entry.clusters[2] ?? 0)]
            XCTAssertEqual(try XCTUnwrap(entry.score), drops.reduce(0, +) / 3, accuracy: 1e-12)
        }
    }

    /// Conv runs of a bits sweep (2, 4) of the residual DAG (4 batches of 8), by conv; with `baselineFirst`, the
    /// baseline is scored first as a live session scores it (keeping checkpoints only), then the sweep runs.
    private func convRunsOfASweep(checkpointMACsPerElement: Int, baselineFirst: Bool = false) throws -> [String: Int] {
        let counts = LockedBox<[String: Int]>([:])
        var kernels = OpRegistry.kernels(opset: 17)
        if let conv = kernels["Conv"] {
            kernels["Conv"] = { node, inputs in
                counts.withLock { $0[node.displayName, default: 0] += 1 }
                return try conv(node, inputs)
            }
        }
        let session = try F.residualSession(kernels: kernels)
        let data = F.residualData(count: 32)
        let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(
            batchSize: 8, checkpointMACsPerElement: checkpointMACsPerElement))
        let context = JobContext.direct(scorer: PlanScorer(evaluator: evaluator))
        if baselineFirst { _ = try context.evaluate(.identity(layers: session.layers), .checkpoints, nil) }
        _ = try SensitivitySweep.run(request(SensitivityLevels(bits: [2, 4])), context: context)
        return counts.withLock { $0 }
    }

    /// With every layer input a checkpoint, the baseline keeps them all, so a layer's entries re-run only what
    /// lies downstream of its input.
    func testSweepReRunsOnlyFromTheLayersInput() throws {
        // 4 batches: the baseline runs each conv once per batch; then conv_a's two
        // levels re-run all three convs, conv_b's re-run b and c, conv_c's only c,
        // and the classifier's none. Plus one probe of a single sample choosing the scoring.
        XCTAssertEqual(try convRunsOfASweep(checkpointMACsPerElement: 0),
                       ["conv_a": 1 + 4 * 3, "conv_b": 1 + 4 * 5, "conv_c": 1 + 4 * 7])
    }

    /// The baseline keeps only checkpoints, and no layer input of the DAG is one (its convs are small): a layer's
    /// first entry recomputes its input from the nearest kept value and keeps it for the level after it and for
    /// the next layer, so each layer's input is computed once more in all, not per entry; whether the baseline
    /// was scored by the sweep or before it (as a live session scores it).
    func testSweepEntriesKeepTheirLayersInputForTheNext() throws {
        // Beyond the above: conv_b's first level recomputes a (its input, kept since); conv_c's first level
        // recomputes b from the kept a (c's input, kept since).
        for baselineFirst in [false, true] {
            XCTAssertEqual(try convRunsOfASweep(checkpointMACsPerElement: 48, baselineFirst: baselineFirst),
                           ["conv_a": 1 + 4 * 3 + 4, "conv_b": 1 + 4 * 5 + 4, "conv_c": 1 + 4 * 7],
                           "baseline first: \(baselineFirst)")
        }
        // With every layer input a checkpoint, the baseline kept them all.
        XCTAssertEqual(try convRunsOfASweep(checkpointMACsPerElement: 0, baselineFirst: true),
                       ["conv_a": 1 + 4 * 3, "conv_b": 1 + 4 * 5, "conv_c": 1 + 4 * 7])
    }

    func testShardsMergeIntoTheFullReport() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 40)
        let levels = SensitivityLevels(bits: [2], prune: [0.5])
        func sweep(_ shard: SensitivityShard?) throws -> SensitivityReport {
            let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(batchSize: 8))
            return try SensitivitySweep.run(evaluator: evaluator, request: request(levels, shard: shard))
        }
        let full = try sweep(nil)
        let first = try sweep(try SensitivityShard(parsing: "1/2"))
        let second = try sweep(try SensitivityShard(parsing: "2/2"))
        XCTAssertEqual(first.layers.map(\.name), ["a.weight", "c.weight"])
        XCTAssertEqual(second.layers.map(\.name), ["b.weight", "fc.weight"])
        XCTAssertEqual(first.baseline.shard, "1/2")
        // Through their JSON files, as a batch scheduler would hand them over.
        let merged = try SensitivityReport.merge([
            ("2.json", try SensitivityReport.parse(Data(second.renderJSON().utf8), path: "2.json")),
            ("1.json", try SensitivityReport.parse(Data(first.renderJSON().utf8), path: "1.json")),
        ])
        XCTAssertEqual(merged, full)
    }

    func testMergeRefusesReportsOfDifferentModels() throws {
        let baseline = SensitivityReport.Baseline(metric: nil, value: nil, samples: 0, model: "a", modelHash: "1",
                                                  data: nil, dataHash: nil, method: "x",
                                                  levels: SensitivityLevels(), layerOrder: [])
        var other = baseline
        other.modelHash = "2"
        XCTAssertThrowsError(try SensitivityReport.merge([
            ("a.json", SensitivityReport(baseline: baseline, layers: [])),
            ("b.json", SensitivityReport(baseline: other, layers: [])),
        ])) { XCTAssertTrue("\($0)".contains("b.json"), "\($0)") }
        XCTAssertThrowsError(try SensitivityShard(parsing: "3/2"))
        XCTAssertThrowsError(try SensitivityShard(parsing: "x"))
    }

    func testJSONHasExactlyTheDocumentedShapeAndRoundTrips() throws {
        var layer = SensitivityReport.Layer(name: "conv1.weight")
        layer.bits = [2: 0.25, 8: 0.96]
        layer.prune = [0.5: 0.9, 0.9: 0.5]
        layer.clusters = [4: 0.8]
        layer.gptq = [2: 0.6]
        layer.sqnrDB = [2: 9.5, 8: .infinity]
        layer.partial = [.bits(2): .init(samples: 16, bound: 0.8), .prune(0.9): .init(samples: 32, bound: 0.85)]
        layer.settledByMargin = [.bits(8): 48]
        var report = SensitivityReport(
            baseline: .init(metric: .top1, value: 0.96, samples: 100, model: "m.onnx", modelHash: "mh",
                            data: "d.npz", dataHash: "dh", method: "me",
                            levels: SensitivityLevels(bits: [2, 8], prune: [0.5, 0.9], clusters: [4], gptq: [2]),
                            layerOrder: ["conv1.weight"], stopLoss: 0.05),
            layers: [layer])
        report.updateScores()
        let text = report.renderJSON()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["baseline", "layers"])
        let entry = try XCTUnwrap((object["layers"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(entry.keys), ["name", "bits", "prune", "clusters", "gptq", "sqnr_db", "partial",
                                         "margin_settled", "score"])
        XCTAssertEqual(entry["margin_settled"] as? [String: Double], ["bits 8": 48])
        XCTAssertEqual((object["baseline"] as? [String: Any])?["stop_loss"] as? Double, 0.05)
        XCTAssertEqual(entry["partial"] as? [String: [String: Double]],
                       ["bits 2": ["samples": 16, "bound": 0.8], "prune 0.9": ["samples": 32, "bound": 0.85]])
        XCTAssertEqual(entry["gptq"] as? [String: Double], ["2": 0.6])
        XCTAssertEqual(entry["bits"] as? [String: Double], ["2": 0.25, "8": 0.96])
        XCTAssertEqual(entry["prune"] as? [String: Double], ["0.5": 0.9, "0.9": 0.5])
        XCTAssertTrue((entry["sqnr_db"] as? [String: Any])?["8"] is NSNull)
        // (0.96 − 0.25) at 2 bits, (0.96 − 0.5) at prune 0.9, (0.96 − 0.8) at 4 clusters, (0.96 − 0.6) at gptq 2.
        XCTAssertEqual(try XCTUnwrap(entry["score"] as? Double), (0.71 + 0.46 + 0.16 + 0.36) / 4, accuracy: 1e-12)
        XCTAssertTrue(text.contains("\"bits\": {\"2\": 0.25, \"8\": 0.96}"), text)
        XCTAssertEqual(try SensitivityReport.parse(Data(text.utf8), path: "r.json"), report)
        // A partial entry for a level that was not swept is a damaged report, named as such.
        let damaged = text.replacingOccurrences(of: "\"prune 0.9\"", with: "\"prune 0.7\"")
        XCTAssertThrowsError(try SensitivityReport.parse(Data(damaged.utf8), path: "r.json")) {
            XCTAssertTrue("\($0)".contains("r.json") && "\($0)".contains("prune 0.7"), "\($0)")
        }
        let unswept = text.replacingOccurrences(of: "\"bits 8\": 48", with: "\"bits 3\": 48")
        XCTAssertThrowsError(try SensitivityReport.parse(Data(unswept.utf8), path: "r.json")) {
            XCTAssertTrue("\($0)".contains("r.json") && "\($0)".contains("bits 3"), "\($0)")
        }
    }

    func testDiskCacheReopensInstantlyAndResumesAnInterruptedSweep() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 24)
        let cache = try temporaryCache()
        let levels = SensitivityLevels(bits: [2, 4])
        let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(batchSize: 8))
        // Interrupted after the baseline and 4 entries (2 layers complete).
        let first = LockedBox(0)
        XCTAssertThrowsError(try SensitivitySweep.run(request(levels, cache: cache),
                                                      context: countingContext(evaluator, count: first, cancelAfter: 5)))
        let resumed = LockedBox(0)
        let report = try SensitivitySweep.run(request(levels, cache: cache),
                                              context: countingContext(evaluator, count: resumed))
        XCTAssertEqual(resumed.withLock { $0 }, 1 + 4, "baseline (to warm the cache) + the 4 missing entries")
        let reopened = LockedBox(0)
        let again = try SensitivitySweep.run(request(levels, cache: cache),
                                             context: countingContext(evaluator, count: reopened))
        XCTAssertEqual(reopened.withLock { $0 }, 0)
        XCTAssertEqual(again, report)
        let fresh = try SensitivitySweep.run(evaluator: evaluator, request: request(levels))
        XCTAssertEqual(report.layers, fresh.layers)
        // Another method (levels) is another cache entry.
        XCTAssertNil(cache.load(modelHash: "m", dataHash: "d", method: "other"))
    }

    /// A cache entry damaged any way (a crash mid-write on a filesystem without atomic rename, a full
    /// disk, another program) is ignored: the sweep runs in full, gives the same results, and leaves
    /// a good entry behind. A cache folder that cannot be created only costs the caching.
    func testCorruptedCacheEntriesAreIgnoredAndRebuilt() throws {
        let session = try F.residualSession()
        let data = F.residualData(count: 24)
        let levels = SensitivityLevels(bits: [2, 4])
        let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(batchSize: 8))
        let cache = try temporaryCache()
        let reference = try SensitivitySweep.run(request(levels, cache: cache),
                                                 context: countingContext(evaluator, count: LockedBox(0)))
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.directory).filter { $0.hasSuffix(".json") }
        XCTAssertEqual(files.count, 1)
        let file = cache.directory + "/" + files[0]
        let good = try Data(contentsOf: URL(fileURLWithPath: file))
        var flipped = good
        for i in stride(from: 7, to: flipped.count, by: 97) { flipped[i] ^= 0x20 }
        let corruptions: [(String, Data)] = [
            ("truncated", good.prefix(good.count / 2)),
            ("empty", Data()),
            ("garbage", Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) })),
            ("bytes flipped", flipped),
            ("another JSON", Data("{\"layers\": 3, \"baseline\": []}".utf8)),
            ("nested", Data((String(repeating: "[", count: 100_000)).utf8)),
            ("zero bytes", Data(count: good.count)),
        ]
        for (name, bytes) in corruptions {
            try bytes.write(to: URL(fileURLWithPath: file))
            let count = LockedBox(0)
            let report = try SensitivitySweep.run(request(levels, cache: cache), context: countingContext(evaluator, count: count))
            XCTAssertEqual(report.layers, reference.layers, name)
            XCTAssertGreaterThan(count.withLock { $0 }, 0, "\(name): the damaged entry was used")
            XCTAssertEqual(cache.load(modelHash: "m", dataHash: "d", method: reference.baseline.method), report,
                           "\(name): the entry was not rebuilt")
        }
        // The entry's path taken by a folder: nothing is cached, the sweep still answers.
        try FileManager.default.removeItem(atPath: file)
        try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: false)
        let report = try SensitivitySweep.run(request(levels, cache: cache),
                                              context: countingContext(evaluator, count: LockedBox(0)))
        XCTAssertEqual(report.layers, reference.layers)
        // A cache folder that is a file.
        let blocked = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-blocked-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: blocked, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: blocked) }
        let uncached = try SensitivitySweep.run(request(levels, cache: SensitivityCache(directory: blocked + "/sub")),
                                                context: countingContext(evaluator, count: LockedBox(0)))
        XCTAssertEqual(uncached.layers, reference.layers)
    }

    func testCacheDirectoryFollowsXDG() {
        XCTAssertEqual(SensitivityCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/h"]),
                       "/x/cache/lathe/sensitivity")
        XCTAssertEqual(SensitivityCache.defaultDirectory(environment: ["HOME": "/h"]), "/h/.cache/lathe/sensitivity")
        XCTAssertEqual(SensitivityCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/h"]),
                       "/h/.cache/lathe/sensitivity")
    }

    func testDataFreeGivesSQNROnly() throws {
        let session = try F.residualSession()
        let report = try SensitivitySweep.dataFree(session: session, request: request(SensitivityLevels(bits: [2, 8])))
        XCTAssertNil(report.baseline.metric)
        for (entry, layer) in zip(report.layers, session.layers) {
            XCTAssertTrue(entry.bits.isEmpty)
            let weight = try XCTUnwrap(session.weights[layer.name])
            XCTAssertEqual(entry.sqnrDB[2], try SensitivitySweep.sqnr(weight: weight, layer: layer, bits: 2))
            XCTAssertGreaterThan(entry.sqnrDB[8] ?? 0, entry.sqnrDB[2] ?? .infinity)
            XCTAssertEqual(try XCTUnwrap(entry.score), pow(10, -(entry.sqnrDB[2] ?? 0) / 10), accuracy: 1e-12)
        }
    }

    func testContentHashSeparatesFiles() {
        XCTAssertEqual(ContentHash.hex(of: Data([1, 2, 3])), ContentHash.hex(of: Data([1, 2, 3])))
        XCTAssertNotEqual(ContentHash.hex(of: Data([1, 2, 3])), ContentHash.hex(of: Data([1, 2, 4])))
        XCTAssertNotEqual(ContentHash.hex(of: Data()), ContentHash.hex(of: Data([0])))
        XCTAssertNotEqual(ContentHash.hex(of: Data(count: 8)), ContentHash.hex(of: Data(count: 16)))
        XCTAssertEqual(ContentHash.hex(of: Data([9])).count, 32)
    }

    /// On the MobileNet sample: entries of several layers equal direct evaluations.
    func testMobileNetEntriesEqualDirectEvaluation() throws {
        let (session, data) = try F.sample("mobilenet", limit: 300)
        let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(batchSize: 32))
        let levels = SensitivityLevels(bits: [2, 4])
        let report = try SensitivitySweep.run(evaluator: evaluator,
                                              request: request(levels, shard: try SensitivityShard(parsing: "1/4")))
        XCTAssertEqual(report.layers.count, (session.layers.count + 3) / 4)
        for entry in report.layers {
            for bits in levels.bits {
                let expected = try F.directMetric(session, data, F.plan(session, [entry.name: F.bits(bits)]))
                XCTAssertEqual(entry.bits[bits], expected, "\(entry.name) bits \(bits)")
            }
        }
    }
}
