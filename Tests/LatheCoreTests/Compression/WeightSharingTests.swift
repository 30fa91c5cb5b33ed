import XCTest
@testable import LatheCore

final class WeightSharingTests: XCTestCase {
    func testSplitMix64ReferenceSequence() {
        // Published reference values for seed 0 (as used by xoshiro's seeding).
        var rng = SplitMix64(seed: 0)
        XCTAssertEqual(rng.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(rng.next(), 0x6E78_9E6A_A1B9_65F4)
        XCTAssertEqual(rng.next(), 0x06C4_5D18_8009_454F)
    }

    func testMoreClustersThanDistinctValuesIsExact() throws {
        XCTAssertEqual(WeightSharing.codebook([1, 1, 2, 3, -1], clusters: 4), [-1, 1, 2, 3])
        let weight = Tensor(shape: [1, 5], floats: [1, 1, 2, 0, 3])
        var settings = LayerSettings()
        settings.clusters = 4
        XCTAssertEqual(try Compressor.compress(weight, layer: TestLayers.gemmT([1, 5]), settings: settings), weight)
    }

    func testTwoObviousClusters() throws {
        let a = Float(1.1), b = Float(5.2)
        let weight = Tensor(shape: [1, 5], floats: [1, a, 5, b, 0])
        var settings = LayerSettings()
        settings.clusters = 2
        let out = try Compressor.compress(weight, layer: TestLayers.gemmT([1, 5]), settings: settings).floats
        let low = Float((1 + Double(a)) / 2), high = Float((5 + Double(b)) / 2)
        XCTAssertEqual(out, [low, low, high, high, 0])  // the zero is not clustered and stays zero
    }

    func testSharingKeepsPrunedZerosAndUsesAtMostKValues() throws {
        var values = [Float]()
        for i in 0..<60 { values.append(sin(Float(i) * 0.7) * Float(i % 5 + 1)) }
        let layer = TestLayers.gemmT([6, 10])
        var settings = LayerSettings()
        settings.clusters = 4
        settings.prune = 0.5
        let out = try Compressor.compress(Tensor(shape: [6, 10], floats: values), layer: layer, settings: settings).floats
        XCTAssertEqual(out.filter { $0 == 0 }.count, 30)
        XCTAssertLessThanOrEqual(Set(out.filter { $0 != 0 }).count, 4)
        // Deterministic: the same answer every time.
        let again = try Compressor.compress(Tensor(shape: [6, 10], floats: values), layer: layer, settings: settings)
        XCTAssertEqual(again.floats, out)
    }

    func testShareGroupUsesOneCodebook() throws {
        let l1 = TestLayers.gemmT("a.weight", [4, 8]), l2 = TestLayers.matMul("b.weight", [8, 3])
        let w1 = Tensor(shape: [4, 8], floats: (0..<32).map { Float($0) * 0.37 - 5 })
        let w2 = Tensor(shape: [8, 3], floats: (0..<24).map { Float($0 * $0) * 0.05 - 3 })
        var settings = LayerSettings()
        settings.clusters = 5
        settings.shareGroup = "all"
        let plan = CompressionPlan(layers: [l1, l2], defaults: settings)
        let out = try Compressor.compress(weights: ["a.weight": w1, "b.weight": w2], layers: [l1, l2], plan: plan)
        let used = Set((out["a.weight"]?.floats ?? []) + (out["b.weight"]?.floats ?? []))
        XCTAssertEqual(used.count, 5)
        let pooled = WeightSharing.codebook(w1.floats + w2.floats, clusters: 5)
        XCTAssertEqual(used, Set(pooled))
        // Without the group each layer gets its own codebook.
        settings.shareGroup = nil
        let separate = try Compressor.compress(weights: ["a.weight": w1, "b.weight": w2], layers: [l1, l2],
                                               plan: CompressionPlan(layers: [l1, l2], defaults: settings))
        XCTAssertNotEqual(separate["a.weight"], out["a.weight"])
    }
}
