import XCTest
@testable import LatheCore

/// Hand-computed cases of DESIGN.md's uniform quantization definitions.
final class QuantizationTests: XCTestCase {
    private func compress(_ layer: WeightLayer, _ values: [Float], _ settings: LayerSettings) throws -> [Float] {
        try Compressor.compress(Tensor(shape: layer.shape, floats: values), layer: layer, settings: settings).floats
    }

    func testSymmetricTiesRoundHalfToEven() throws {
        // max|w| = 127 → s = 1 with 8 bits; .5 ties go to the even neighbour.
        let layer = TestLayers.gemmT([1, 7])
        let out = try compress(layer, [127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5], .int(8))
        XCTAssertEqual(out, [127, 0, 2, 2, 0, -2, -2])
    }

    func testSymmetricNarrowRangeClampsAtQmax() throws {
        // 3 bits: qmax = 3, levels −3…3 (narrow: no −4). s = 3/3 = 1.
        let out = try compress(TestLayers.gemmT([1, 4]), [3, -3, 1.4, -2.6], .int(3))
        XCTAssertEqual(out, [3, -3, 1, -3])
    }

    func testAllZeroChannelUsesScaleOne() throws {
        // Conv [2,1,1,2]: channel 0 = [4, -1] with 2 bits (qmax 1, s = 4) → [4, −0.25→0]; channel 1 all zero.
        let layer = TestLayers.conv([2, 1, 1, 2])
        let out = try compress(layer, [4, -1, 0, 0], .int(2))
        XCTAssertEqual(out, [4, 0, 0, 0])
        XCTAssertEqual(QuantizationGrid.symmetric(bits: 8, maxMagnitude: 0).scale, 1)
        XCTAssertEqual(QuantizationGrid.asymmetric(bits: 8, lo: 0, hi: 0).scale, 1)
    }

    func testPerChannelFollowsEachOpsAxis() throws {
        // The same 2×2 numbers; 2 bits. Channels are rows for Conv/Gemm(transB), columns for MatMul/ConvTranspose.
        let values: [Float] = [4, 1, -2, 0.5]
        // Rows: [4, 1] s=4 → [4, 0]; [−2, 0.5] s=2 → [−2, 0].
        XCTAssertEqual(try compress(TestLayers.gemmT([2, 2]), values, .int(2)), [4, 0, -2, 0])
        XCTAssertEqual(try compress(TestLayers.conv([2, 2, 1, 1]), values, .int(2)), [4, 0, -2, 0])
        // Columns: [4, −2] s=4 → [4, −0.5→0]; [1, 0.5] s=1 → [1, 0.5→0].
        XCTAssertEqual(try compress(TestLayers.matMul([2, 2]), values, .int(2)), [4, 1, 0, 0])
        XCTAssertEqual(try compress(TestLayers.convTranspose([2, 2, 1, 1]), values, .int(2)), [4, 1, 0, 0])
        // Per tensor: s = 4 everywhere.
        XCTAssertEqual(try compress(TestLayers.matMul([2, 2]), values, .int(2, .symmetric, .perTensor)),
                       [4, 0, 0, 0])
    }

    func testOneBitIsSignTimesMeanMagnitude() throws {
        // mean|w| = (1 + 3 + 0 + 2) / 4 = 1.5; sign(0) = +.
        XCTAssertEqual(try compress(TestLayers.gemmT([1, 4]), [1, -3, 0, 2], .int(1)), [1.5, -1.5, 1.5, 1.5])
        // Per channel on a MatMul: columns [2, −4] mean 3, [1, 0] mean 0.5.
        XCTAssertEqual(try compress(TestLayers.matMul([2, 2]), [2, 1, -4, 0], .int(1)), [3, 0.5, -3, 0.5])
    }

    func testSixteenBits() throws {
        // qmax = 32767, s = 1/32767; 0.3 → round(9830.1) = 9830 levels.
        let out = try compress(TestLayers.gemmT([1, 2]), [1, 0.3], .int(16))
        let scale = Float(1) / Float(32767)
        XCTAssertEqual(out[0], Float(32767) * scale)
        XCTAssertEqual(out[1], Float(9830) * scale)
        XCTAssertEqual(out[1], 0.3, accuracy: 2e-5)
    }

    func testAsymmetricWithZeroPoint() throws {
        // 2 bits: lo = −1, hi = 2, s = 3/3 = 1, zp = 1 → levels −1, 0, 1, 2.
        XCTAssertEqual(try compress(TestLayers.gemmT([1, 4]), [-1, 0, 2, 0.5], .int(2, .asymmetric)), [-1, 0, 2, 0])
        // Only positive: lo = min(1, 0) = 0 → zp = 0; s = 3/3.
        XCTAssertEqual(try compress(TestLayers.gemmT([1, 3]), [1, 2, 3], .int(2, .asymmetric)), [1, 2, 3])
        // Only negative: hi = 0 → zp = 3 (the top level).
        guard case let .asymmetric(_, scale, zeroPoint) = QuantizationGrid.asymmetric(bits: 2, lo: -3, hi: -1) else {
            return XCTFail("expected an asymmetric grid")
        }
        XCTAssertEqual(scale, 1)
        XCTAssertEqual(zeroPoint, 3)
    }

    func testAsymmetricClampsValuesOutsideAClippedRange() throws {
        // percentile 75 of [0,1,2,3,100]: h = 3 → hi = 3; percentile 25: h = 1 → 1, lo = min(1, 0) = 0.
        // s = 1, zp = 0: 100 → round(100) clamps to the top level 3.
        var settings = LayerSettings.int(2, .asymmetric)
        settings.range = .percentile
        settings.percentile = 75
        XCTAssertEqual(try compress(TestLayers.gemmT([1, 5]), [0, 1, 2, 3, 100], settings), [0, 1, 2, 3, 3])
        // Symmetric: |w| percentile 75 = 3 → s = 1 (qmax 3): 100 → 3, −100 → −3.
        settings.scheme = .symmetric
        settings.bits = .integer(3)
        XCTAssertEqual(try compress(TestLayers.gemmT([1, 5]), [0, 1, -100, 3, 2], settings), [0, 1, -3, 3, 2])
    }

    func testPercentileMatchesNumpyLinearDefinition() {
        XCTAssertEqual(UniformQuantizer.percentile([1, 2, 3, 4], 50), 2.5)
        XCTAssertEqual(UniformQuantizer.percentile([4, 1, 3, 2], 100), 4)
        XCTAssertEqual(UniformQuantizer.percentile([5], 99.99), 5)
        XCTAssertEqual(UniformQuantizer.percentile([], 50), 0)
    }

    func testMSERangeClipsAnOutlier() throws {
        // 256 values spread over [−1, 1) and one outlier at 2: with 3 bits min-max spends the grid on
        // the outlier (s = 2/3); clipping near 1 costs the outlier ~1 but shrinks 256 errors by ~4×.
        var values = (0..<256).map { Float($0) / 128 - 1 }
        values.append(2)
        var settings = LayerSettings.int(3)
        settings.granularity = .perTensor
        let minmax = try compress(TestLayers.gemmT([1, 257]), values, settings)
        settings.range = .mse
        let mse = try compress(TestLayers.gemmT([1, 257]), values, settings)
        XCTAssertLessThan(mse.max() ?? 0, 1.5)  // the outlier was clipped
        func error(_ out: [Float]) -> Double { zip(out, values).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } }
        XCTAssertLessThan(error(mse), error(minmax) / 2)
        // The chosen grid is one of the 100 candidates in [0.5, 1].
        XCTAssertEqual(UniformQuantizer.mseCandidates.count, 100)
        XCTAssertEqual(UniformQuantizer.mseCandidates.first, 0.5)
        XCTAssertEqual(UniformQuantizer.mseCandidates.last, 1)
    }

    func testFloatFormatsRoundToNearestEven() {
        // fp16 has 10 fraction bits: 1 + 2^-11 is halfway to 1 + 2^-10 → even (1); 1 + 3·2^-11 → 1 + 2^-9.
        XCTAssertEqual(HalfPrecision.roundedToFloat16(1 + 0x1p-11), 1)
        XCTAssertEqual(HalfPrecision.roundedToFloat16(1 + 3 * 0x1p-11), 1 + 0x1p-9)
        XCTAssertEqual(HalfPrecision.roundedToFloat16(70000), .infinity)
        // bf16 has 7 fraction bits.
        XCTAssertEqual(HalfPrecision.roundedToBFloat16(1 + 0x1p-8), 1)
        XCTAssertEqual(HalfPrecision.roundedToBFloat16(1 + 3 * 0x1p-8), 1 + 0x1p-6)
        XCTAssertEqual(HalfPrecision.roundedToBFloat16(-2.5), -2.5)
        XCTAssertTrue(HalfPrecision.roundedToBFloat16(.nan).isNaN)
    }
}
