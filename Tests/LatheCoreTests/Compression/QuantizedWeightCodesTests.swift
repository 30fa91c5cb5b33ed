import XCTest
@testable import LatheCore

/// The integer form read off the Compressor's output: `(code − zero_point)·scale` gives every compressed
/// value back bit for bit, codes stay in their range, and the codes are those of DESIGN.md's definitions
/// computed here directly (numpy's formulas, written out).
final class QuantizedWeightCodesTests: XCTestCase {
    let layers = [TestLayers.conv("conv.weight", [6, 3, 3, 3]), TestLayers.convTranspose("convT.weight", [4, 3, 2, 2]),
                  TestLayers.matMul("mm.weight", [16, 12]), TestLayers.gemmT("fc.weight", [5, 40])]

    func weight(_ layer: WeightLayer, seed: Int) -> Tensor {
        Tensor(shape: layer.shape, floats: (0..<layer.params).map { i in
            let v = sin(Float(i * (seed + 3)) * 0.73) * (1 + Float(i % 7))
            return i % 11 == 0 ? 0 : v
        })
    }

    func testCodesGiveBackTheCompressedValuesExactly() throws {
        var settingsList: [LayerSettings] = []
        for bits in [1, 2, 3, 4, 5, 8] {
            for scheme in QuantizationScheme.allCases where !(bits == 1 && scheme == .asymmetric) {
                for granularity in Granularity.allCases {
                    settingsList.append(LayerSettings(bits: .integer(bits), scheme: scheme, granularity: granularity))
                }
            }
        }
        settingsList.append(LayerSettings(bits: .integer(4), range: .mse))
        settingsList.append(LayerSettings(bits: .integer(6), scheme: .asymmetric, range: .percentile, percentile: 99))
        settingsList.append(LayerSettings(bits: .integer(4), prune: 0.5, structure: .unstructured))
        settingsList.append(LayerSettings(bits: .integer(3), scheme: .asymmetric, prune: 0.5, structure: .channel))
        settingsList.append(LayerSettings(bits: .integer(8), prune: 0.5, structure: .twoFour))
        for (seed, layer) in layers.enumerated() {
            let original = weight(layer, seed: seed)
            for settings in settingsList where settings.problem(for: layer) == nil {
                let compressed = try Compressor.compress(original, layer: layer, settings: settings)
                let reading = try Compressor.quantizedWeight(original: original, compressed: compressed, layer: layer,
                                                             settings: settings)
                guard case .exact(let q) = reading else {
                    XCTFail("\(layer.name) \(settings): \(reading)")
                    continue
                }
                // Float == is exact (only −0 and +0 compare equal, and pruned zeros may come back either way).
                XCTAssertEqual(q.dequantized(), compressed.floats, "\(layer.name) \(settings)")
                XCTAssertEqual(q.scales.count, settings.granularity == .perChannel ? layer.channels : 1)
                XCTAssertEqual(q.axis, settings.granularity == .perChannel ? layer.channelAxis : nil)
                XCTAssertEqual(q.signed, settings.scheme == .symmetric)
                guard case .integer(let bits) = settings.bits else { continue }
                // 1 bit symmetric is sign(w)·mean|w|: codes ±1.
                let qmax = Int32(max(1, (1 << (bits - 1)) - 1))
                let range: ClosedRange<Int32> = q.signed ? -qmax...qmax : 0...Int32((1 << bits) - 1)
                XCTAssertTrue(q.codes.allSatisfy { range.contains($0) }, "\(layer.name) \(settings)")
            }
        }
    }

    /// 4-bit symmetric per channel on a Conv weight: codes = clamp(round(w / (max|w|/7)), −7, 7) per output
    /// channel, computed here in float32 the way numpy does.
    func testCodesAreTheDefinitionsIntegers() throws {
        let layer = layers[0]
        let original = weight(layer, seed: 0)
        let settings = LayerSettings.int(4)
        let compressed = try Compressor.compress(original, layer: layer, settings: settings)
        guard case .exact(let q) = try Compressor.quantizedWeight(original: original, compressed: compressed,
                                                                   layer: layer, settings: settings) else {
            return XCTFail("no integer form")
        }
        let perChannel = layer.params / layer.channels
        for c in 0..<layer.channels {
            let block = Array(original.floats[(c * perChannel)..<((c + 1) * perChannel)])
            let scale = block.map { abs($0) }.max()! / 7
            XCTAssertEqual(q.scales[c], scale)
            let expected = block.map { Int32(min(max(($0 / scale).rounded(.toNearestOrEven), -7), 7)) }
            XCTAssertEqual(Array(q.codes[(c * perChannel)..<((c + 1) * perChannel)]), expected)
        }
    }

    /// Values not on the quantizer's grids (another rounding method's) are reported, not re-quantized.
    func testOffGridValuesAreReported() throws {
        let layer = layers[2]
        let original = weight(layer, seed: 2)
        var compressed = try Compressor.compress(original, layer: layer, settings: .int(4))
        compressed.floats[5] += 1e-3
        let reading = try Compressor.quantizedWeight(original: original, compressed: compressed, layer: layer,
                                                     settings: .int(4))
        guard case .offGrid(let problem) = reading else { return XCTFail("expected offGrid, got \(reading)") }
        XCTAssertTrue(problem.contains("element 5"), problem)
        XCTAssertEqual(try Compressor.quantizedWeight(original: original, compressed: compressed, layer: layer,
                                                      settings: LayerSettings(clusters: 4)), .notUniform)
    }
}
