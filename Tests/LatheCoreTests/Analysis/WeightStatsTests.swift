import XCTest
@testable import LatheCore

final class WeightStatsTests: XCTestCase {
    func testSmallTensorAgainstNumpy() {
        // numpy on float64: min -2, max 10, mean 1.09375, std 3.00395789265318,
        // (w == 0).mean() 0.25, no element beyond 3 std.
        let w: [Float] = [0.5, -1.25, 0, 3, 0, 2.5, -0.75, 0.125, 10, -2, 0, 1]
        let s = WeightStats(w)
        XCTAssertEqual(s.min, -2)
        XCTAssertEqual(s.max, 10)
        XCTAssertEqual(s.mean, 1.09375, accuracy: 1e-15)
        XCTAssertEqual(s.std, 3.00395789265318, accuracy: 1e-13)
        XCTAssertEqual(s.sparsity, 0.25)
        XCTAssertEqual(s.outlierRatio, 0)
    }

    func testOutlierRatioHandComputed() {
        // 19 ones and one 100: mean 5.95, std 21.5765..., 3 std = 64.7; only 100 is beyond.
        let s = WeightStats([Float](repeating: 1, count: 19) + [100])
        XCTAssertEqual(s.mean, 5.95, accuracy: 1e-12)
        XCTAssertEqual(s.std, 21.576549770526334, accuracy: 1e-12)
        XCTAssertEqual(s.outlierRatio, 0.05)
        XCTAssertEqual(s.sparsity, 0)
    }

    func testLargeTensorAgainstNumpy() {
        // AnalysisFixtures.weights() with w[3] = 40 (numpy, float64 accumulation):
        var w = AnalysisFixtures.weights()
        w[3] = 40
        let s = WeightStats(Tensor(shape: [50, 100], floats: w))
        XCTAssertEqual(s.min, -1.999734878540039)
        XCTAssertEqual(s.max, 40)
        XCTAssertEqual(s.mean, -0.012286336469650268, accuracy: 1e-14)
        XCTAssertEqual(s.std, 1.2083286800627089, accuracy: 1e-12)
        XCTAssertEqual(s.sparsity, 0.143)
        XCTAssertEqual(s.outlierRatio, 0.0002)
    }

    func testConstantAndEmptyTensors() {
        let constant = WeightStats([Float](repeating: 0.3, count: 9))
        XCTAssertEqual(constant.std, 0)
        XCTAssertEqual(constant.outlierRatio, 0)
        XCTAssertEqual(constant.min, Double(Float(0.3)))
        XCTAssertEqual(WeightStats([Float]()), WeightStats(min: 0, max: 0, mean: 0, std: 0, sparsity: 0, outlierRatio: 0))
        XCTAssertEqual(WeightStats(Tensor.zeros([4])).sparsity, 1)
    }

    func testIntegerTensorUsesItsValues() {
        let s = WeightStats(Tensor(shape: [4], ints: [-3, 0, 0, 7], dtype: .int8))
        XCTAssertEqual(s.min, -3)
        XCTAssertEqual(s.max, 7)
        XCTAssertEqual(s.mean, 1)
        XCTAssertEqual(s.sparsity, 0.5)
    }
}
