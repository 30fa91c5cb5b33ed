import Foundation
import XCTest
@testable import LatheCore

/// A low-rank layer's export: its two factors take exactly the bytes the size model counts for them (codes,
/// a scale per row of each factor; 4 or 2 bytes a float), and the written file, loaded by Lathe's engine
/// (which folds MatMul(A, B) into the weight), holds the compressed weight up to float32 rounding.
final class LowRankExportTests: XCTestCase {
    func testFactorsTakeTheSizeModelsBytesAndRebuildTheCompressedWeight() throws {
        let (session, _) = try LiveFixtures.sample("lenet5", limit: 64)
        var plan = CompressionPlan.identity(layers: session.layers)
        let settings: [String: LayerSettings] = [
            "fc1.weight": LayerSettings(bits: .integer(8), rank: 0.5),
            "fc2.weight": LayerSettings(rank: 0.4),
            "fc3.weight": LayerSettings(bits: .fp16, rank: 0.5),
        ]
        for (name, value) in settings { plan.set(value, for: name) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-lowrank-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("lenet5-lowrank.onnx").path
        let report = try ModelExporter.export(.init(modelPath: LiveFixtures.samplePath("lenet5", "model.onnx"),
                                                    outputPath: out, format: .qdq, plan: plan, session: session))
        XCTAssertFalse(report.notes.contains { $0.contains("low-rank product") }, "\(report.notes)")
        let size = try XCTUnwrap(report.size)
        let compressed = try Compressor.compress(weights: session.weights, layers: session.layers, plan: plan)
        let model = try ONNXReader.read(path: out)
        let written = try InferenceSession(model: model, data: .declared(by: model))
        for name in settings.keys.sorted() {
            let layer = try XCTUnwrap(size.layers.first { $0.name == name })
            XCTAssertEqual(layer.fileBytes, layer.layoutBytes, name)
            XCTAssertEqual(layer.layoutBytes, layer.sizeModelBytes, "\(name): the size model counts the factors")
            let weightLayer = try XCTUnwrap(session.layers.first { $0.name == name })
            XCTAssertLessThan(layer.fileBytes, 4 * weightLayer.params, "\(name): smaller than its float32 product")
            let expected = try XCTUnwrap(compressed[name]).floats
            let rebuilt = try XCTUnwrap(written.weights[name], "\(name) is a layer of the written file").floats
            XCTAssertEqual(rebuilt.count, expected.count)
            let scale = expected.reduce(Float(0)) { max($0, abs($1)) }
            let worst = zip(rebuilt, expected).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "\(name): MatMul(A, B) in float32 vs the float64 product")
            XCTAssertNotEqual(expected, try XCTUnwrap(session.weights[name]).floats, "\(name) was changed")
        }
    }
}
