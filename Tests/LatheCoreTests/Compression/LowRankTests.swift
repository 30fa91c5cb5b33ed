import XCTest
@testable import LatheCore

final class LowRankTests: XCTestCase {
    func testKeptRankRoundsHalfToEvenAndKeepsAtLeastOne() {
        XCTAssertEqual(LowRank.keptRank(fraction: 0.5, rows: 8, columns: 6), 3)
        XCTAssertEqual(LowRank.keptRank(fraction: 0.25, rows: 10, columns: 10), 2)  // 2.5 → 2
        XCTAssertEqual(LowRank.keptRank(fraction: 0.35, rows: 10, columns: 10), 4)  // 3.5 → 4
        XCTAssertEqual(LowRank.keptRank(fraction: 0.01, rows: 10, columns: 10), 1)
        XCTAssertEqual(LowRank.keptRank(fraction: 1, rows: 3, columns: 7), 3)
    }

    func testRankOneMatrixIsReconstructedAndRankIsTruncated() throws {
        // An outer product is rank 1: rank 1 of 2 reproduces it.
        let u: [Float] = [1, -2, 3], v: [Float] = [0.5, 4]
        let matrix = u.flatMap { a in v.map { a * $0 } }
        let layer = TestLayers.gemmT([3, 2])
        var settings = LayerSettings()
        settings.rank = 0.5
        let out = try Compressor.compress(Tensor(shape: [3, 2], floats: matrix), layer: layer, settings: settings)
        for (a, b) in zip(out.floats, matrix) { XCTAssertEqual(a, b, accuracy: 1e-5) }

        // diag(3, 2, 1) keeps only its largest singular value.
        let diagonal: [Float] = [3, 0, 0, 0, 2, 0, 0, 0, 1]
        let truncated = try Compressor.compress(Tensor(shape: [3, 3, 1, 1], floats: diagonal),
                                                layer: TestLayers.conv([3, 3, 1, 1]), settings: {
                                                    var s = LayerSettings(); s.rank = 0.4; return s }())
        let expected: [Float] = [3, 0, 0, 0, 0, 0, 0, 0, 0]
        for (a, b) in zip(truncated.floats, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testMatMulIsFactorisedWithOutputChannelsAsRows() throws {
        // MatMul weight [in=2, out=3]; as [out, in] it is [[1,2],[2,4],[3,6]] — rank 1.
        let weight: [Float] = [1, 2, 3, 2, 4, 6]
        var settings = LayerSettings()
        settings.rank = 0.5
        let out = try Compressor.compress(Tensor(shape: [2, 3], floats: weight),
                                          layer: TestLayers.matMul([2, 3]), settings: settings)
        for (a, b) in zip(out.floats, weight) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testUnsupportedLayers() {
        XCTAssertNotNil(LowRank.unsupportedReason(TestLayers.conv([4, 2, 3, 3])))
        XCTAssertNotNil(LowRank.unsupportedReason(TestLayers.conv([4, 1, 1, 1], groups: 4)))
        XCTAssertNotNil(LowRank.unsupportedReason(TestLayers.convTranspose([4, 2, 1, 1])))
        XCTAssertNil(LowRank.unsupportedReason(TestLayers.conv([4, 2, 1, 1])))
        XCTAssertNil(LowRank.unsupportedReason(TestLayers.matMul([4, 2])))
        var settings = LayerSettings()
        settings.rank = 0.5
        XCTAssertThrowsError(try Compressor.compress(Tensor.zeros([4, 2, 3, 3]), layer: TestLayers.conv([4, 2, 3, 3]),
                                                     settings: settings))
    }
}
