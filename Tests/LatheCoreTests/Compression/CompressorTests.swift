import XCTest
@testable import LatheCore

final class CompressorTests: XCTestCase {
    let layers = [TestLayers.conv("features.0.weight", [4, 2, 3, 3]), TestLayers.conv("features.3.weight", [4, 4, 1, 1]),
                  TestLayers.gemmT("classifier.weight", [3, 16])]

    func weights() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (n, layer) in layers.enumerated() {
            result[layer.name] = Tensor(shape: layer.shape,
                                        floats: (0..<layer.params).map { sin(Float($0 * (n + 3)) * 0.77) })
        }
        result["classifier.bias"] = Tensor.zeros([3])
        return result
    }

    func testPlanResolutionExactNamesWinAndLaterGlobsWin() {
        let rules = [LayerRule("classifier.weight", .int(2)), LayerRule("features.*", .int(8)),
                     LayerRule("*", .int(6)), LayerRule("features.?.weight", .int(4))]
        let plan = CompressionPlan.resolve(layers: layers, defaults: .int(3), rules: rules)
        XCTAssertEqual(plan.settings(for: "classifier.weight"), .int(2))  // exact beats the later '*'
        XCTAssertEqual(plan.settings(for: "features.0.weight"), .int(4))
        XCTAssertEqual(plan.settings(for: "unknown"), .int(3))
        XCTAssertFalse(plan.isIdentity)
        XCTAssertTrue(CompressionPlan.identity(layers: layers).isIdentity)
        XCTAssertTrue(LayerPattern("conv[12].w*").matches("conv2.weight"))
        XCTAssertFalse(LayerPattern("conv[!12].w*").matches("conv2.weight"))
        XCTAssertTrue(LayerPattern("*depthwise*").matches("block.depthwise.weight"))
        XCTAssertFalse(LayerPattern("features.?.weight").matches("features.10.weight"))
    }

    func testOnlyChangedLayersAreReturned() throws {
        let plan = CompressionPlan(layers: layers, settings: ["features.3.weight": .int(4)])
        let out = try Compressor.compress(weights: weights(), layers: layers, plan: plan)
        XCTAssertEqual(Array(out.keys), ["features.3.weight"])
        XCTAssertEqual(try Compressor.compress(weights: weights(), layers: layers, plan: .identity(layers: layers)), [:])
        var abitsOnly = LayerSettings()
        abitsOnly.activationBits = 8
        XCTAssertEqual(try Compressor.compress(weights: weights(), layers: layers,
                                               plan: CompressionPlan(layers: layers, defaults: abitsOnly)), [:])
    }

    func testParallelAndCachedResultsEqualSequentialOnes() throws {
        var settings = LayerSettings.int(4, .asymmetric)
        settings.prune = 0.3
        let plan = CompressionPlan(layers: layers, defaults: settings)
        let w = weights()
        let direct = try Dictionary(uniqueKeysWithValues: layers.map {
            ($0.name, try Compressor.compress(w[$0.name]!, layer: $0, settings: settings))
        })
        let cache = CompressedWeightCache()
        XCTAssertEqual(try Compressor.compress(weights: w, layers: layers, plan: plan, cache: cache), direct)
        XCTAssertEqual(cache.count, 3)
        XCTAssertEqual(try Compressor.compress(weights: w, layers: layers, plan: plan, cache: cache), direct)
        XCTAssertEqual(cache.count, 3)
        // A cache too small for everything still returns correct results.
        let tiny = CompressedWeightCache(capacityBytes: 100)
        XCTAssertEqual(try Compressor.compress(weights: w, layers: layers, plan: plan, cache: tiny), direct)
        XCTAssertLessThan(tiny.count, 3)
    }

    func testInvalidPlansThrow() {
        var rank = LayerSettings()
        rank.rank = 0.5
        let onThreeByThree = CompressionPlan(layers: layers, settings: ["features.0.weight": rank])
        XCTAssertThrowsError(try Compressor.compress(weights: weights(), layers: layers, plan: onThreeByThree))
        var mismatched = CompressionPlan(layers: layers)
        var shared = LayerSettings()
        shared.clusters = 4
        shared.shareGroup = "g"
        mismatched.set(shared, for: "features.0.weight")
        shared.clusters = 8
        mismatched.set(shared, for: "classifier.weight")
        XCTAssertThrowsError(try Compressor.compress(weights: weights(), layers: layers, plan: mismatched))
        let missing = CompressionPlan(layers: layers, defaults: .int(8))
        XCTAssertThrowsError(try Compressor.compress(weights: [:], layers: layers, plan: missing)) { error in
            XCTAssertEqual((error as? LatheError)?.kind, .badInput)
        }
    }

    func testActivationQuantizer() {
        var range = ActivationRange()
        // Only the first 2 samples of 3 count: values 0…5, the −100 of sample 3 is ignored.
        range.observe(Tensor(shape: [3, 2], floats: [0, 1, 2, 5, -100, 3]), samples: 2)
        XCTAssertEqual(range, ActivationRange(min: 0, max: 5))
        // 2 bits over [min(0,0), 5]: s = 5/3, zp = 0.
        let quantizer = ActivationQuantizer(bits: 2, range: range)
        let out = quantizer.transform(Tensor(shape: [4], floats: [-1, 0.8, 0.9, 10]))
        let s = Float(5) / 3
        XCTAssertEqual(out.floats, [0, 0, s, 3 * s])

        var calibrator = ActivationCalibrator(plan: CompressionPlan(layers: layers, settings: [
            "classifier.weight": { var s = LayerSettings(); s.activationBits = 8; return s }(),
        ]), sampleLimit: 3)
        XCTAssertEqual(calibrator.layersToCalibrate, ["classifier.weight"])
        calibrator.observe(layer: "classifier.weight", input: Tensor(shape: [2, 1], floats: [-1, 2]))
        calibrator.observe(layer: "classifier.weight", input: Tensor(shape: [2, 1], floats: [4, 9]))  // only 4 counts
        XCTAssertEqual(calibrator.ranges["classifier.weight"], ActivationRange(min: -1, max: 4))
        XCTAssertEqual(calibrator.quantizers()["classifier.weight"],
                       ActivationQuantizer(bits: 8, range: ActivationRange(min: -1, max: 4)))
        XCTAssertEqual(calibrator.transforms().count, 1)
    }
}
