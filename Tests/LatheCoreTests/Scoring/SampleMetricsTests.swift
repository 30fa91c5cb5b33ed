import Foundation
import XCTest
@testable import LatheCore

/// Every bundled sample's scores, uncompressed and with the configurations stored
/// beside it, against the numpy/onnxruntime values in `samples/NAME/metrics.json`
/// (written by `scripts/crosscheck_metrics.py --write-expected`, which also fails a
/// stale file), so the metrics are checked without Python. Run in release:
/// `swift test -c release -Xswiftc -enable-testing --filter SampleMetricsTests`.
final class SampleMetricsTests: XCTestCase {
    static var samplesDirectory: URL { SampleReferenceTests.samplesDirectory }

    /// The stored configurations evaluated here: all of them (the whole test takes seconds in release).
    static let checkedConfigurations = ["none", "bits4", "bits2"]

    static let sqnrToleranceDB = 0.05
    static let cosineTolerance = 1e-6
    static let errorRelativeTolerance = 1e-6

    /// samples/NAME/metrics.json.
    struct Expected: Decodable {
        struct Configuration: Decodable {
            /// The configuration file's text; nil for the uncompressed model.
            let config: String?
            /// Metric key (top1, agree, sqnr_db, cosine, mse, mae) → value; a null sqnr_db is +∞.
            let values: [String: Double?]
        }

        /// Samples scored: the data's first ones.
        let samples: Int
        /// The automatic metric's name (`ScoreMetric.rawValue`).
        let auto: String
        /// Argmax positions, when the output has a class axis of 2 or more.
        let positions: Int?
        let configs: [String: Configuration]
    }

    /// Sample folders with a model and data: each must hold a metrics.json.
    static func sampleFolders() -> [URL] {
        let files = FileManager.default
        let names = (try? files.contentsOfDirectory(atPath: samplesDirectory.path)) ?? []
        return names.sorted().map { samplesDirectory.appendingPathComponent($0) }.filter {
            files.fileExists(atPath: $0.appendingPathComponent("model.onnx").path)
                && files.fileExists(atPath: $0.appendingPathComponent("data.npz").path)
        }
    }

    /// A stored metric key: `sqnr_db` is `.sqnr`, the others are raw values.
    static func metric(forKey key: String) -> ScoreMetric? {
        key == "sqnr_db" ? .sqnr : ScoreMetric(rawValue: key)
    }

    /// Why `got` (Lathe) differs from `want` (numpy) beyond the metric's tolerance, or nil.
    static func mismatch(_ metric: ScoreMetric, got: Double?, want: Double, positions: Int) -> String? {
        guard let got else { return "Lathe has no value (numpy \(want))" }
        let ok: Bool
        switch metric {
        case .top1, .agree:
            // Counts of positions: exactly the same count.
            ok = positions > 0 && (got * Double(positions)).rounded() == (want * Double(positions)).rounded()
        case .sqnr:
            ok = got == want || (got.isFinite && want.isFinite && abs(got - want) <= sqnrToleranceDB)
        case .cosine:
            ok = abs(got - want) <= cosineTolerance
        case .mse, .mae:
            ok = abs(got - want) <= errorRelativeTolerance * abs(want)
        }
        return ok ? nil : "Lathe \(got), numpy \(want)"
    }

    func testEverySampleFolderStoresItsMetrics() throws {
        let folders = Self.sampleFolders()
        try XCTSkipIf(folders.isEmpty, "no samples in \(Self.samplesDirectory.path)")
        for folder in folders {
            let path = folder.appendingPathComponent("metrics.json").path
            XCTAssertTrue(FileManager.default.fileExists(atPath: path),
                          "samples/\(folder.lastPathComponent) has model.onnx and data.npz but no metrics.json: "
                          + "run scripts/crosscheck_metrics.py --write-expected")
        }
    }

    func testScoresMatchTheStoredNumpyValues() throws {
        let pending = try SampleReferenceTests.pending()
        let folders = Self.sampleFolders().filter {
            pending[$0.lastPathComponent] == nil
                && FileManager.default.fileExists(atPath: $0.appendingPathComponent("metrics.json").path)
        }
        try XCTSkipIf(folders.isEmpty, "no samples with metrics.json in \(Self.samplesDirectory.path)")
        var compared = 0
        for folder in folders {
            let name = folder.lastPathComponent
            let expected = try JSONDecoder().decode(
                Expected.self, from: Data(contentsOf: folder.appendingPathComponent("metrics.json")))
            let model = try ONNXReader.read(path: folder.appendingPathComponent("model.onnx").path)
            let dataset = try Dataset.load(path: folder.appendingPathComponent("data.npz").path).prefix(expected.samples)
            XCTAssertEqual(dataset.count, expected.samples, "\(name): samples")
            let session = try InferenceSession(model: model, data: dataset.layout)
            let options = EvaluatorOptions(batchSize: 64, threads: 2, cacheCapacityBytes: 0)
            let evaluator = try PlanEvaluator(session: session, dataset: dataset, options: options)
            for label in Self.checkedConfigurations {
                let stored = try XCTUnwrap(expected.configs[label], "\(name): no configuration \(label) stored")
                let plan: CompressionPlan
                if let text = stored.config {
                    plan = try ConfigReader.parse(text, path: "\(name)/metrics.json[\(label)]").plan(for: session.layers)
                } else {
                    plan = .identity(layers: session.layers)
                }
                let evaluation = try evaluator.evaluate(plan)
                let where_ = "\(name) [\(label)]"
                XCTAssertEqual(evaluation.scoring.metric.rawValue, expected.auto, "\(where_): automatic metric")
                XCTAssertEqual(evaluation.totals.samples, expected.samples, "\(where_): samples scored")
                if let positions = expected.positions {
                    XCTAssertEqual(evaluation.totals.positions, positions, "\(where_): positions")
                }
                XCTAssertFalse(stored.values.isEmpty, "\(where_): no values stored")
                for (key, value) in stored.values.sorted(by: { $0.key < $1.key }) {
                    let metric = try XCTUnwrap(Self.metric(forKey: key), "\(where_): unknown metric \(key)")
                    let want = value ?? (metric == .sqnr ? .infinity : .nan)
                    XCTAssertFalse(want.isNaN, "\(where_): \(key) is null")
                    if let problem = Self.mismatch(metric, got: evaluation.totals.value(of: metric), want: want,
                                                   positions: evaluation.totals.positions) {
                        XCTFail("\(where_) \(key): \(problem)")
                    }
                    compared += 1
                }
            }
        }
        XCTAssertGreaterThan(compared, 0)
        print("SampleMetricsTests: \(compared) values of \(folders.count) samples compared with numpy")
    }
}
