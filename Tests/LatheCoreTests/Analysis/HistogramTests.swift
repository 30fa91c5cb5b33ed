import XCTest
@testable import LatheCore

/// Expected values are numpy's `np.histogram(w.astype(np.float64), bins=B)`.
final class HistogramTests: XCTestCase {
    let small: [Float] = [0.5, -1.25, 0, 3, 0, 2.5, -0.75, 0.125, 10, -2, 0, 1]

    func testSmallTensorAgainstNumpy() {
        let h4 = Histogram(small, bins: 4)
        XCTAssertEqual(h4.edges, [-2, 1, 4, 7, 10])
        XCTAssertEqual(h4.counts, [8, 3, 0, 1])  // 1.0 sits on an edge and goes right

        let h5 = Histogram(small, bins: 5)
        XCTAssertEqual(h5.edges, [-2, 0.3999999999999999, 2.8, 5.199999999999999, 7.6, 10])
        XCTAssertEqual(h5.counts, [7, 3, 1, 0, 1])

        let h64 = Histogram(small)
        XCTAssertEqual(h64.bins, 64)
        XCTAssertEqual(h64.edges.count, 65)
        XCTAssertEqual(h64.counts, [1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 3, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]
                       + [Int](repeating: 0, count: 36) + [1])
    }

    func testOneBinHoldsEverything() {
        let h = Histogram(small, bins: 1)
        XCTAssertEqual(h.edges, [-2, 10])
        XCTAssertEqual(h.counts, [12])
    }

    func testConstantTensorUsesNumpysUnitRange() {
        let h = Histogram([Float](repeating: 0.3, count: 7), bins: 4)
        XCTAssertEqual(h.edges, [-0.19999998807907104, 0.050000011920928955, 0.30000001192092896,
                                 0.550000011920929, 0.800000011920929])
        XCTAssertEqual(h.counts, [0, 0, 7, 0])
        XCTAssertEqual(Histogram([Float](repeating: 5, count: 3), bins: 1).counts, [3])
    }

    func testEmptyTensorUsesZeroToOne() {
        let h = Histogram([Float](), bins: 2)
        XCTAssertEqual(h.edges, [0, 0.5, 1])
        XCTAssertEqual(h.counts, [0, 0])
    }

    func testValuesOnEdges() {
        // float32 tenths land on either side of float64 edges; numpy gives these counts.
        let x: [Float] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.0]
        XCTAssertEqual(Histogram(x, bins: 10).counts, [1, 1, 1, 1, 1, 1, 2, 0, 2, 1])
        XCTAssertEqual(Histogram(x, bins: 3).counts, [4, 3, 4])
    }

    func testLargeTensorAgainstNumpy() {
        var w = AnalysisFixtures.weights()
        w[3] = 40
        let h64 = Histogram(w)
        XCTAssertEqual(h64.counts, [718, 735, 677, 1436, 686, 676, 71] + [Int](repeating: 0, count: 56) + [1])
        XCTAssertEqual(h64.edges[17], 9.156444698572159)
        XCTAssertEqual(h64.edges[63], 39.34375414252281)

        w[3] = 0.3
        let h10 = Histogram(w, bins: 10)
        XCTAssertEqual(h10.counts, [443, 429, 467, 399, 428, 1161, 421, 424, 423, 405])
        XCTAssertEqual(h10.edges[3], -0.8000116109848023)
        XCTAssertEqual(h10.counts.reduce(0, +), 5000)
    }

    func testNonFiniteValuesAreLeftOut() {
        let h = Histogram([1, .nan, 3, .infinity, 2, -.infinity], bins: 2)
        XCTAssertEqual(h.edges, [1, 2, 3])
        XCTAssertEqual(h.counts, [1, 2])
        XCTAssertEqual(Histogram([Float.nan], bins: 2).edges, [0, 0.5, 1])
    }

    func testBinsBelowOneAreClamped() {
        XCTAssertEqual(Histogram(small, bins: 0).counts, [12])
    }
}
