import Foundation
import XCTest
@testable import LatheCore

/// Several evaluation sets side by side (MobileNet on its clean and shifted sets, first
/// samples of each): the live engine's number per set is `PlanEvaluator.evaluate`'s (what
/// `lathe eval --data that-set` prints), a sensitivity is its worst over the sets, and a
/// search holds its budget on every set.
final class EvaluationSetsTests: XCTestCase {
    static let limit = 192
    static let batch = 64

    /// The clean and shifted sets, each with its own session and evaluator (as the CLI builds them).
    func twoSets(cacheBytes: Int = 256 << 20) throws -> [EvaluationSet] {
        let modelPath = LiveFixtures.samplePath("mobilenet", "model.onnx")
        guard FileManager.default.fileExists(atPath: LiveFixtures.samplePath("mobilenet", "data_shifted.npz")) else {
            throw XCTSkip("samples/mobilenet/data_shifted.npz is not in this checkout")
        }
        let model = try ONNXReader.read(path: modelPath)
        var options = EvaluatorOptions(batchSize: Self.batch, threads: 2, cacheCapacityBytes: cacheBytes / 2)
        var sets: [EvaluationSet] = []
        for (name, file) in [("clean", "data.npz"), ("shifted", "data_shifted.npz")] {
            let path = LiveFixtures.samplePath("mobilenet", file)
            let dataset = try Dataset.load(path: path).prefix(Self.limit)
            let session = try InferenceSession(model: model, data: dataset.layout)
            let evaluator = try PlanEvaluator(session: session, dataset: dataset, options: options)
            // Every set is scored as the first one is.
            options.scoring = ScoringRequest(metric: evaluator.scoring.metric, classAxis: evaluator.scoring.classAxis)
            sets.append(EvaluationSet(name: name, data: path, dataHash: name, evaluator: evaluator))
        }
        return sets
    }

    /// A fresh, cache-free evaluation of `plan` on the set: `lathe eval`'s path.
    func evaluated(_ plan: CompressionPlan, on set: EvaluationSet) throws -> PlanEvaluation {
        var options = set.evaluator.options
        options.cacheCapacityBytes = 0
        return try PlanEvaluator(session: set.evaluator.session, dataset: set.evaluator.dataset, options: options)
            .evaluate(plan)
    }

    func testTheLiveNumberOfEverySetIsItsEvalNumber() throws {
        let sets = try twoSets()
        let live = LiveSession(sets: sets)
        defer { live.close() }
        let layers = sets[0].evaluator.layers
        let plan = CompressionPlan(layers: layers, defaults: LayerSettings(bits: .integer(3)))
        live.apply(plan, tag: 1)
        XCTAssertTrue(live.waitUntilIdle(timeout: 300))
        let snapshot = live.latest()
        XCTAssertEqual(snapshot.tag, 1)
        XCTAssertTrue(snapshot.isFinal)
        XCTAssertEqual(snapshot.sets.map(\.name), ["clean", "shifted"])
        XCTAssertEqual(snapshot.samplesDone, 2 * Self.limit)
        let metric = sets[0].evaluator.scoring.metric
        var drops: [Double] = []
        for (index, set) in sets.enumerated() {
            let report = try evaluated(plan, on: set)
            let value = try XCTUnwrap(report.totals.value(of: metric))
            let baseline = try XCTUnwrap(report.totals.baselineValue(of: metric))
            XCTAssertEqual(snapshot.sets[index].value, value, set.name)
            XCTAssertEqual(snapshot.sets[index].baselineValue, baseline, set.name)
            XCTAssertTrue(snapshot.sets[index].isFinal)
            drops.append(metric.degradation(baseline: baseline, value: value))
            print("mobilenet 3-bit on \(set.name) (\(Self.limit) samples): \(metric.rawValue) \(value), fp32 \(baseline)")
        }
        // The top level is the first set's; the worst set is the one that drops most.
        XCTAssertEqual(snapshot.value, snapshot.sets[0].value)
        XCTAssertEqual(snapshot.baselineValue, snapshot.sets[0].baselineValue)
        XCTAssertNotEqual(drops[0], drops[1], "the sets must differ for the worst to mean anything")
        XCTAssertEqual(snapshot.worstSet, drops[1] > drops[0] ? 1 : 0)
    }

    func testASensitivityIsItsWorstDropOverTheSets() throws {
        let sets = try twoSets()
        let levels = SensitivityLevels(bits: [2, 4], prune: [0.5])
        let request = SensitivityRequest(levels: levels, model: "mobilenet", modelHash: "test")
        let both = try SensitivitySweep.run(sets: sets, request: request)
        XCTAssertEqual(both.names, ["clean", "shifted"])
        let worst = both.worst
        let metric = try XCTUnwrap(worst.baseline.metric)
        var shiftedWorseSomewhere = false
        for (index, set) in try twoSets().enumerated() {
            // Each set's report is the sweep of that set alone.
            let alone = try SensitivitySweep.run(evaluator: set.evaluator, request: request)
            XCTAssertEqual(both.reports[index].layers, alone.layers, set.name)
            XCTAssertEqual(both.reports[index].baseline.value, alone.baseline.value, set.name)
        }
        for layer in worst.layers {
            for level in levels.entries {
                let drops = try both.reports.map { try XCTUnwrap($0.degradation(layer: layer.name, at: level)) }
                let worstDrop = try XCTUnwrap(worst.degradation(layer: layer.name, at: level))
                XCTAssertEqual(worstDrop, try XCTUnwrap(drops.max()), accuracy: 1e-12, "\(layer.name) \(level)")
                if drops[1] > drops[0] { shiftedWorseSomewhere = true }
            }
            // The score is the single-set score's formula on the worst drops.
            let mostAggressive = [SensitivityLevel.bits(2), .prune(0.5)]
            let expected = try mostAggressive.map { level in
                try XCTUnwrap(both.reports.map { try XCTUnwrap($0.degradation(layer: layer.name, at: level)) }.max())
            }.reduce(0, +) / 2
            XCTAssertEqual(try XCTUnwrap(layer.score), expected, accuracy: 1e-12, layer.name)
        }
        XCTAssertTrue(shiftedWorseSomewhere, "the shifted set never loses more: the worst would be the first set's")
        XCTAssertEqual(metric, sets[0].evaluator.scoring.metric)

        // The JSON keeps the single-set layout at the top and adds each set's report.
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(both.renderJSON().utf8)) as? [String: Any])
        let perSet = try XCTUnwrap(json["sets"] as? [String: Any])
        XCTAssertEqual(Set(perSet.keys), ["clean", "shifted"])
        XCTAssertNotNil(json["layers"] as? [[String: Any]])
        XCTAssertNotNil(json["worst"] as? [String: Any])
    }

    func testTheLiveSweepIsTheStandaloneSweepOnEverySet() throws {
        let levels = SensitivityLevels(bits: [2])
        let request = SensitivityRequest(levels: levels, model: "mobilenet", modelHash: "test")
        let live = LiveSession(sets: try twoSets())
        defer { live.close() }
        live.startSweep(request)
        XCTAssertTrue(live.waitUntilIdle(timeout: 300))
        let standalone = try SensitivitySweep.run(sets: try twoSets(), request: request)
        XCTAssertEqual(live.sensitivitySets(), standalone)
        XCTAssertEqual(live.sensitivity(), standalone.worst)
        XCTAssertEqual(live.latest().job?.state, .finished)
    }

    func testASearchHoldsItsBudgetOnEverySet() throws {
        let sets = try twoSets()
        // Wide enough for the start plan on 192 samples (it holds on both), tight enough to stop the path early.
        let budget = 0.05
        let request = SearchRequest(constraint: .maxDrop(budget), bits: [2, 3, 4, 8], maxEvaluations: 10,
                                    model: "mobilenet", modelHash: "test")
        let outcome = try Search.run(sets: sets, request: request)
        XCTAssertTrue(outcome.satisfied)
        XCTAssertEqual(outcome.sets.map(\.name), ["clean", "shifted"])
        XCTAssertLessThan(outcome.sizeBytes, outcome.baselineBytes)
        let metric = outcome.metric
        for (index, set) in sets.enumerated() {
            let report = try evaluated(outcome.plan, on: set)
            let value = try XCTUnwrap(report.totals.value(of: metric))
            let baseline = try XCTUnwrap(report.totals.baselineValue(of: metric))
            XCTAssertEqual(outcome.sets[index].value, value, set.name)
            XCTAssertEqual(outcome.sets[index].baselineValue, baseline, set.name)
            XCTAssertGreaterThanOrEqual(value, baseline - budget - 1e-12, "\(set.name): the budget is broken")
            print("search (max drop \(budget)) on \(set.name): \(value) vs fp32 \(baseline), "
                + "\(outcome.sizeBytes) bytes of \(outcome.baselineBytes)")
        }
        // Every plan the search kept as fitting was measured on both sets.
        XCTAssertTrue(outcome.visited.allSatisfy { $0.setValues.count == 2 })
    }
}
