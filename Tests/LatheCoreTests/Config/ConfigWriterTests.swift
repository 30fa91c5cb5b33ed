import Foundation
import XCTest
@testable import LatheCore

final class ConfigWriterTests: XCTestCase {
    /// A configuration using every key and odd names.
    func everything() -> CompressionConfig {
        var percentile = LayerSettings.int(5, .asymmetric, .perTensor)
        percentile.range = .percentile
        percentile.percentile = 99.99
        percentile.activationBits = 6
        var mse = LayerSettings.int(3)
        mse.range = .mse
        mse.prune = 0.3
        mse.structure = .channel
        var shared = LayerSettings()
        shared.clusters = 16
        shared.shareGroup = "heads: \"all\""
        shared.prune = 0.9
        var lowRank = LayerSettings(bits: .fp16)
        lowRank.rank = 0.25
        return CompressionConfig(model: "samples/lenet5/model.onnx", defaults: .int(8), layers: [
            LayerRule("conv1.weight", percentile),
            LayerRule("*depthwise*", mse),
            LayerRule("fc2.weight", shared),
            LayerRule("/model/fc:0 \"weight\"", lowRank),
            LayerRule("block[0-3].*", LayerSettings(bits: .bf16, prune: 0.5, structure: .twoFour)),
            LayerRule("keep.weight", .identity),
            LayerRule("tiny", { var s = LayerSettings.int(1); s.prune = 1e-05; return s }()),
        ])
    }

    func testYAMLRoundTripIsLossless() throws {
        let config = everything()
        let text = ConfigWriter.renderYAML(config, modelDescription: "lenet5 (samples/lenet5/model.onnx)",
                                           metrics: [("top1", "0.9812"), ("compression_ratio", "3.91")])
        XCTAssertEqual(try ConfigReader.parse(text, path: "out.yaml"), config, text)
        XCTAssertTrue(text.hasPrefix("# Lathe compression configuration"))
        XCTAssertTrue(text.contains("# model: lenet5 (samples/lenet5/model.onnx)\n"))
        XCTAssertTrue(text.contains("# measured: top1 0.9812, compression_ratio 3.91\n"))
        XCTAssertTrue(text.contains("\n  \"conv1.weight\": {bits: 5, scheme: asymmetric, granularity: per-tensor, "
            + "range: percentile, percentile: 99.99, abits: 6}\n"), text)
        XCTAssertTrue(text.contains("defaults: {bits: 8}\n"))
        // Stable: rendering twice gives the same text.
        XCTAssertEqual(ConfigWriter.renderYAML(try ConfigReader.parse(text, path: "out.yaml"),
                                               modelDescription: "lenet5 (samples/lenet5/model.onnx)",
                                               metrics: [("top1", "0.9812"), ("compression_ratio", "3.91")]), text)
    }

    /// The JSON form is real JSON for every key: schema words such as
    /// `asymmetric` are strings, as they were not before the one JSON writer.
    func testJSONIsValidForEveryKey() throws {
        let json = ConfigWriter.renderJSON(everything())
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let layers = try XCTUnwrap(object["layers"] as? [String: Any])
        XCTAssertEqual((layers["conv1.weight"] as? [String: Any])?["scheme"] as? String, "asymmetric")
        XCTAssertEqual(try ConfigReader.parse(json, path: "c.json"), everything())
    }

    func testJSONRoundTripAndAtomicWrite() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-writer-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["c.json", "c.yaml"] {
            let path = directory.appendingPathComponent(name).path
            try ConfigWriter.write(everything(), to: path, modelDescription: "m", metrics: [("top1", "0.5")])
            XCTAssertEqual(try ConfigReader.read(path: path), everything())
            // Overwriting replaces the file whole.
            try ConfigWriter.write(CompressionConfig(), to: path)
            XCTAssertEqual(try ConfigReader.read(path: path), CompressionConfig())
        }
        let json = try String(contentsOfFile: directory.appendingPathComponent("c.json").path, encoding: .utf8)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(json.utf8)))  // real JSON
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["c.json", "c.yaml"])
        XCTAssertThrowsError(try ConfigWriter.write(everything(), to: "/nonexistent-dir/c.yaml"))
    }

    func testPlanToConfigAndBack() throws {
        let layers = [
            WeightLayer(name: "a", op: .gemm, nodeName: "", shape: [4, 4], channelAxis: 0, reductionAxis: 1, macs: 16),
            WeightLayer(name: "b", op: .gemm, nodeName: "", shape: [4, 4], channelAxis: 0, reductionAxis: 1, macs: 16),
            WeightLayer(name: "c", op: .gemm, nodeName: "", shape: [4, 4], channelAxis: 0, reductionAxis: 1, macs: 16),
        ]
        var plan = CompressionPlan(layers: layers, defaults: .int(8))
        plan.set(.int(4, .asymmetric), for: "b")
        // Fields without effect (scheme on a float layer) are dropped: the config stores canonical settings.
        plan.set(LayerSettings(bits: .float32, scheme: .asymmetric), for: "c")
        let config = CompressionConfig(plan: plan, model: "m.onnx")
        XCTAssertEqual(config.layers.map(\.pattern.text), ["b", "c"])
        let reread = try ConfigReader.parse(ConfigWriter.renderYAML(config), path: "p.yaml")
        let replanned = try reread.plan(for: layers)
        for layer in layers {
            XCTAssertEqual(replanned.settings(for: layer.name), plan.settings(for: layer.name).canonical)
        }
    }
}
