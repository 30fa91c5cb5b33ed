import XCTest
@testable import LatheCore

final class PruningTests: XCTestCase {
    func testUnstructuredRemovesSmallestMagnitudesInIndexOrder() {
        let values: [Float] = [3, -1, 1, 2, -1, 0.5]
        // floor(0.5·6) = 3: 0.5 (index 5), then the first two of the |1| ties (indices 1, 2).
        XCTAssertEqual(Pruner.unstructured(values, ratio: 0.5), [true, false, false, true, true, false])
        XCTAssertEqual(Pruner.unstructured(values, ratio: 0), [Bool](repeating: true, count: 6))
        // floor(0.99·6) = 5: only the largest survives.
        XCTAssertEqual(Pruner.unstructured(values, ratio: 0.99), [true, false, false, false, false, false])
        // floor(0.99·100) = 99 (float64 product).
        XCTAssertEqual(Pruner.removedCount(ratio: 0.99, of: 100), 99)
        XCTAssertEqual(Pruner.removedCount(ratio: 0.29, of: 100), 28)  // 0.29·100 = 28.999… in float64
    }

    func testChannelPruningBySmallestL1() {
        // Conv [3,2,1,1]: L1 = 2, 1, 2.
        let values: [Float] = [1, -1, 0.5, 0.5, -2, 0]
        XCTAssertEqual(Pruner.channel(values, shape: [3, 2, 1, 1], channelAxis: 0, ratio: 0.5),
                       [true, true, false, false, true, true])
        // floor(0.67·3) = 2: channel 1, then the lower index of the tie (0).
        XCTAssertEqual(Pruner.channel(values, shape: [3, 2, 1, 1], channelAxis: 0, ratio: 0.67),
                       [false, false, false, false, true, true])
        // MatMul [2,3] = [[1, −1, 0.5], [0.5, −2, 0]]: channels are columns, L1 = 1.5, 3, 0.5
        // → floor(0.5·3) = 1 removes column 2.
        XCTAssertEqual(Pruner.channel(values, shape: [2, 3], channelAxis: 1, ratio: 0.5),
                       [true, true, false, true, true, false])
    }

    func testTwoFourOnOddReductionLengths() {
        // Length 5: [1, −4, 3, 2] keeps −4, 3; the trailing [7] keeps min(1, 2) = 1.
        XCTAssertEqual(Pruner.twoFour([1, -4, 3, 2, 7], shape: [1, 5], reductionAxis: 1),
                       [false, true, true, false, true])
        // Length 6: equal magnitudes keep the lower indices; the trailing pair is kept whole.
        XCTAssertEqual(Pruner.twoFour([1, 1, -1, 1, 5, -6], shape: [1, 6], reductionAxis: 1),
                       [true, true, false, false, true, true])
        // Length 7: trailing group of 3 keeps its 2 largest.
        XCTAssertEqual(Pruner.twoFour([0, 0, 0, 0, 1, -3, 2], shape: [1, 7], reductionAxis: 1),
                       [true, true, false, false, false, true, true])
        // Along axis 0 (MatMul [5, 2]): column 0 = [1, −4, 3, 2, 7], column 1 = [9, 8, 0, 0, 1].
        XCTAssertEqual(Pruner.twoFour([1, 9, -4, 8, 3, 0, 2, 0, 7, 1], shape: [5, 2], reductionAxis: 0),
                       [false, true, true, true, true, false, false, false, true, true])
        XCTAssertEqual(Pruner.twoFourKeptCount(shape: [1, 5], reductionAxis: 1), 3)
        XCTAssertEqual(Pruner.twoFourKeptCount(shape: [3, 7], reductionAxis: 1), 12)
        XCTAssertEqual(Pruner.twoFourKeptCount(shape: [4, 8, 3, 3], reductionAxis: 1), 4 * 9 * 4)
    }

    func testPrunedWeightsStayExactlyZeroAfterQuantization() throws {
        let layer = TestLayers.gemmT([2, 4])
        let weight = Tensor(shape: [2, 4], floats: [0.11, -0.7, 0.3, 0.05, -0.2, 0.9, -0.02, 0.4])
        for scheme in QuantizationScheme.allCases {
            var settings = LayerSettings.int(3, scheme)
            settings.prune = 0.5
            let out = try Compressor.compress(weight, layer: layer, settings: settings).floats
            let mask = Pruner.unstructured(weight.floats, ratio: 0.5)
            for i in out.indices where !mask[i] { XCTAssertEqual(out[i].bitPattern, 0, "\(scheme) index \(i)") }
            XCTAssertEqual(out.filter { $0 != 0 }.count, 4)
        }
        // Quantization grids are computed over the survivors: the 1-bit mean ignores pruned weights.
        var oneBit = LayerSettings.int(1, .symmetric, .perTensor)
        oneBit.prune = 0.5
        let out = try Compressor.compress(Tensor(shape: [1, 4], floats: [1, 0.1, -3, 0.2]),
                                          layer: TestLayers.gemmT([1, 4]), settings: oneBit).floats
        XCTAssertEqual(out, [2, 0, -2, 0])
    }
}
