import Foundation
import XCTest
@testable import LatheCore

/// GPTQ, bias correction and the non-uniform grids: their definitions on small cases, and
/// every sample's stored configurations against the numpy/onnxruntime results in
/// `samples/NAME/recovery.json` (written by `scripts/crosscheck_recovery.py --write-expected`).
final class RecoveryTests: XCTestCase {
    func testPow2LevelsAreZeroAndPowersOfTwoAscending() {
        XCTAssertEqual(LevelGrid.unitLevels(.pow2, bits: 3), [-1, -0.5, -0.25, 0, 0.25, 0.5, 1])
        XCTAssertEqual(LevelGrid.unitLevels(.pow2, bits: 2), [-1, 0, 1])
        XCTAssertEqual(LevelGrid.unitLevels(.nf4, bits: 4).count, 16)
    }

    func testLevelGridRoundsToNearestAndTiesToTheLowerLevel() {
        let grid = LevelGrid(unit: LevelGrid.unitLevels(.pow2, bits: 3), absmax: 2)
        XCTAssertEqual(grid.levels, [-2, -1, -0.5, 0, 0.5, 1, 2])
        XCTAssertEqual(grid.apply(0.74), 0.5)
        XCTAssertEqual(grid.apply(0.75), 0.5, "a tie goes to the lower level")
        XCTAssertEqual(grid.apply(-0.75), -1, "a tie goes to the lower level")
        XCTAssertEqual(grid.apply(9), 2)
        XCTAssertEqual(grid.apply(-9), -2)
    }

    func testConfigurationRoundTripsTheRecoveryKeys() throws {
        let text = "version: 1\ndefaults: {bits: 4, grid: nf4, method: gptq, bias_correction: true}\n"
        let config = try ConfigReader.parse(text, path: "recovery.yaml")
        XCTAssertEqual(config.defaults.grid, .nf4)
        XCTAssertEqual(config.defaults.method, .gptq)
        XCTAssertTrue(config.defaults.biasCorrection)
        let pairs = ConfigWriter.keyValues(config.defaults).map { "\($0.key)=\($0.value)" }
        XCTAssertEqual(pairs, ["bits=4", "grid=nf4", "method=gptq", "bias_correction=true"])
        XCTAssertThrowsError(try ConfigReader.parse("version: 1\ndefaults: {bits: 3, grid: nf4}\n", path: "c.yaml"))
        XCTAssertThrowsError(try ConfigReader.parse("version: 1\ndefaults: {bias_correction: true}\n", path: "c.yaml"))
    }

    /// GPTQ's purpose: on a layer's real calibration inputs, the output error ‖(W − Ŵ)X‖² it
    /// leaves is smaller than round-to-nearest's on the same grid (here every layer of mobilenet at 3 bits).
    func testGPTQLowersEveryLayersOutputErrorOnItsCalibrationInputs() throws {
        let (session, dataset) = try LiveFixtures.sample("mobilenet", limit: 300)
        let evaluator = try PlanEvaluator(session: session, dataset: dataset)
        let statistics = try evaluator.inputStatistics(for: session.layers)
        for layer in session.layers {
            guard let weight = session.weights[layer.name], let stats = statistics[layer.name] else {
                return XCTFail("\(layer.name): no weight or statistics")
            }
            let rtn = try Compressor.compress(weight, layer: layer, settings: LayerSettings(bits: .integer(3)))
            let gptq = try Compressor.compress(weight, layer: layer,
                                               settings: LayerSettings(bits: .integer(3), method: .gptq),
                                               statistics: stats)
            XCTAssertLessThan(outputError(weight, gptq, layer: layer, stats: stats),
                              outputError(weight, rtn, layer: layer, stats: stats), layer.name)
        }
    }

    /// tr(ΔW H ΔWᵀ) per group: the mean squared output error, up to the factor 2.
    private func outputError(_ weight: Tensor, _ compressed: Tensor, layer: WeightLayer,
                             stats: LayerInputStatistics) -> Double {
        let layout = AxisLayout(shape: layer.shape, axis: layer.channelAxis)
        let a = layout.gather(weight.floats), b = layout.gather(compressed.floats)
        let n = stats.columns, perGroup = layout.length / stats.groups
        var total = 0.0
        for group in 0..<stats.groups {
            let h = stats.hessian(group: group)
            for row in (group * perGroup)..<((group + 1) * perGroup) {
                let delta = (0..<n).map { Double(a[row * n + $0]) - Double(b[row * n + $0]) }
                for i in 0..<n where delta[i] != 0 {
                    for j in 0..<n { total += delta[i] * h[i * n + j] * delta[j] }
                }
            }
        }
        return total
    }

    struct Expected: Decodable {
        struct Entry: Decodable {
            let defaults: [String: JSONScalar]
            let correct: Int
        }
        let samples: Int
        let calibration_samples: Int
        let configs: [String: Entry]
    }

    enum JSONScalar: Decodable {
        case number(Double), text(String), flag(Bool)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .flag(b) }
            else if let d = try? c.decode(Double.self) { self = .number(d) }
            else { self = .text(try c.decode(String.self)) }
        }
        var yaml: String {
            switch self {
            case .number(let d): return d == d.rounded() ? String(Int(d)) : String(d)
            case .text(let t): return "\"\(t)\""
            case .flag(let b): return b ? "true" : "false"
            }
        }
    }

    func testSampleConfigurationsScoreAsNumpyDoes() throws {
        var checked = 0
        for sample in ["mobilenet", "lenet5", "mobilenetv3", "digits_mlp"] {
            let path = LiveFixtures.samplePath(sample, "recovery.json")
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let expected = try JSONDecoder().decode(Expected.self, from: data)
            let (session, dataset) = try LiveFixtures.sample(sample)
            XCTAssertEqual(dataset.count, expected.samples)
            let evaluator = try PlanEvaluator(session: session, dataset: dataset,
                                              options: EvaluatorOptions(cacheCapacityBytes: 0,
                                                                        calibrationSamples: expected.calibration_samples))
            for (label, entry) in expected.configs.sorted(by: { $0.key < $1.key }) {
                let settings = entry.defaults.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.yaml)" }
                let config = try ConfigReader.parse("version: 1\ndefaults: {\(settings.joined(separator: ", "))}\n",
                                                    path: "\(sample) \(label)")
                let result = try evaluator.evaluate(try config.plan(for: session.layers))
                let correct = result.totals.labelHits
                XCTAssertLessThanOrEqual(abs(correct - entry.correct), 1,
                                         "\(sample) [\(label)]: \(correct) correct, numpy \(entry.correct)")
                checked += 1
            }
        }
        if checked == 0 { throw XCTSkip("no samples/*/recovery.json in this checkout") }
    }
}
