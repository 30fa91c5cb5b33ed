import Foundation
import LatheCore
import XCTest

/// `lathe export`: the files it writes run in Lathe's own engine with the configuration's metric, and it
/// never writes over what it reads.
final class ExportTests: XCTestCase {
    let model = Samples.path("lenet5", "model.onnx")
    let data = Samples.path("lenet5", "data.npz")

    private func config(_ scratch: ScratchDirectory, _ text: String = "version: 1\ndefaults: {bits: 8}\n") throws -> String {
        try scratch.write("c.yaml", Data(text.utf8))
    }

    func testQDQExportEvaluatesAsTheConfiguration() throws {
        let scratch = try ScratchDirectory()
        let cfg = try config(scratch, "version: 1\ndefaults: {bits: 4}\nlayers:\n  fc1.weight: {clusters: 16, prune: 0.5}\n")
        let out = scratch.path("lenet5-q.onnx")
        let export = try LatheBinary.run(["export", model, "--config", cfg, "--data", data, "--out", out, "--json"])
        XCTAssertEqual(export.status, 0, export.stderr)
        let configured = try LatheBinary.run(["eval", model, "--data", data, "--config", cfg, "--json"])
        let exported = try LatheBinary.run(["eval", out, "--data", data, "--json"])
        let a = try parseJSON(configured), b = try parseJSON(exported)
        let top1 = try XCTUnwrap(a["top1"] as? Double)
        XCTAssertEqual(b["top1"] as? Double, top1)
        // Integer weights behind DequantizeLinear, the shared layer through Gather; much smaller than the input.
        let written = try ONNXReader.read(path: out)
        XCTAssertTrue(written.graph.nodes.contains { $0.opType == "DequantizeLinear" })
        XCTAssertTrue(written.graph.nodes.contains { $0.opType == "Gather" })
        let inputBytes = try Data(contentsOf: URL(fileURLWithPath: Samples.absolute(model))).count
        let outputBytes = try Data(contentsOf: URL(fileURLWithPath: out)).count
        XCTAssertLessThan(Double(outputBytes), 0.4 * Double(inputBytes))
        let report = try parseJSON(export)
        XCTAssertEqual((report["metric"] as? [String: Any])?["export"] as? Double, top1)
    }

    func testRefusesToWriteOverItsInputs() throws {
        let scratch = try ScratchDirectory()
        let copy = try scratch.write("model.onnx", Data(contentsOf: URL(fileURLWithPath: Samples.absolute(model))))
        let before = try Data(contentsOf: URL(fileURLWithPath: copy))
        let cfg = try config(scratch)
        let hard = scratch.path("hard.onnx")
        try FileManager.default.linkItem(atPath: copy, toPath: hard)
        let soft = scratch.path("soft.onnx")
        try FileManager.default.createSymbolicLink(atPath: soft, withDestinationPath: copy)
        for target in [copy, hard, soft] {
            assertBadInput(try LatheBinary.run(["export", copy, "--config", cfg, "--out", target]),
                           mentions: [target, "refusing to overwrite"])
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: copy)), before)
        assertBadInput(try LatheBinary.run(["export", copy, "--config", cfg, "--out", cfg]), mentions: [cfg, "refusing"])
        let localData = try scratch.write("data.npz", Data(contentsOf: URL(fileURLWithPath: Samples.absolute(data))))
        assertBadInput(try LatheBinary.run(["export", copy, "--config", cfg, "--data", localData, "--out", localData]),
                       mentions: [localData, "refusing"])
        XCTAssertEqual(try String(contentsOfFile: cfg, encoding: .utf8), "version: 1\ndefaults: {bits: 8}\n")
    }

    func testUsageAndInputErrors() throws {
        let scratch = try ScratchDirectory()
        let cfg = try config(scratch)
        let out = scratch.path("o.onnx")
        let noConfig = try LatheBinary.run(["export", model, "--out", out])
        XCTAssertEqual(noConfig.status, 2)
        XCTAssertTrue(noConfig.stderr.contains("--config"), noConfig.stderr)
        let noOut = try LatheBinary.run(["export", model, "--config", cfg])
        XCTAssertEqual(noOut.status, 2)
        XCTAssertTrue(noOut.stderr.contains("--out"), noOut.stderr)
        let format = try LatheBinary.run(["export", model, "--config", cfg, "--out", out, "--format", "tflite"])
        XCTAssertEqual(format.status, 2)
        XCTAssertTrue(format.stderr.contains("qdq, fake, config-json, ort-overrides"), format.stderr)
        assertBadInput(try LatheBinary.run(["export", model, "--config", cfg, "--out", scratch.path("no/such/o.onnx")]),
                       mentions: ["no/such", "does not exist"])
        let abits = try scratch.write("a.yaml", Data("version: 1\ndefaults: {bits: 8, abits: 8}\n".utf8))
        assertBadInput(try LatheBinary.run(["export", model, "--config", abits, "--out", out]),
                       mentions: [model, "--data"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let unknown = try scratch.write("u.yaml", Data("version: 1\nlayers:\n  nope.weight: {bits: 4}\n".utf8))
        assertBadInput(try LatheBinary.run(["export", model, "--config", unknown, "--out", out]), mentions: [unknown, "nope"])
    }

    func testSettingsFormats() throws {
        let scratch = try ScratchDirectory()
        let cfg = try config(scratch, "version: 1\ndefaults: {bits: 8}\nlayers:\n  fc1.weight: {bits: 4, scheme: asymmetric}\n"
            + "  fc2.weight: {bits: 32}\n  fc3.weight: {bits: 8, prune: 0.5}\n")
        let json = scratch.path("c.json")
        XCTAssertEqual(try LatheBinary.run(["export", model, "--config", cfg, "--format", "config-json", "--out", json]).status, 0)
        let layers = try InferenceSession(model: ONNXReader.read(path: Samples.absolute(model)), sampleShape: [1, 28, 28]).layers
        let original = try CompressionConfig.read(path: cfg).plan(for: layers)
        let reread = try CompressionConfig.read(path: json).plan(for: layers)
        for layer in layers {
            XCTAssertEqual(reread.settings(for: layer.name).canonical, original.settings(for: layer.name).canonical)
        }
        let overrides = scratch.path("ort.json")
        XCTAssertEqual(try LatheBinary.run(["export", model, "--config", cfg, "--format", "ort-overrides", "--out", overrides]).status, 0)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: overrides)))
            as? [String: Any])
        let tensors = try XCTUnwrap(document["TensorQuantOverrides"] as? [String: [[String: Any]]])
        XCTAssertEqual(tensors["fc1.weight"]?.first?["quant_type"] as? String, "QUInt4")
        XCTAssertEqual(tensors["fc1.weight"]?.first?["symmetric"] as? Bool, false)
        XCTAssertEqual(tensors["conv1.weight"]?.first?["quant_type"] as? String, "QInt8")
        XCTAssertEqual(tensors["conv1.weight"]?.first?["axis"] as? Int, 0)
        XCTAssertNil(tensors["fc2.weight"])
        XCTAssertEqual((document["lathe_unmapped"] as? [String: String])?["fc3.weight"], "pruning")
    }
}
