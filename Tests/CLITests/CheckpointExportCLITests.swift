import Foundation
import LatheCore
import XCTest

/// `lathe export CHECKPOINT`: which formats apply to weights-only files and to ONNX models, and the
/// input-overwrite guard for checkpoints.
final class CheckpointExportCLITests: XCTestCase {
    func testCheckpointFormatsWriteAndOthersAreRefused() throws {
        let scratch = try ScratchDirectory()
        let checkpoint = try scratch.write("model.safetensors", CheckpointCLITests.safetensors())
        let cfg = try scratch.write("c.yaml", Data("version: 1\ndefaults: {bits: 4}\n".utf8))
        let types = scratch.path("types.txt")
        let written = try LatheBinary.run(["export", checkpoint, "--config", cfg, "--format", "llama-tensor-types",
                                           "--out", types])
        XCTAssertEqual(written.status, 0, written.stderr)
        let text = try String(contentsOfFile: types, encoding: .utf8)
        XCTAssertTrue(text.contains("--tensor-type ^fc\\.weight$=q4_0\n"), text)
        let quantized = scratch.path("q.safetensors")
        let json = try parseJSON(LatheBinary.run(["export", checkpoint, "--config", cfg, "--format", "safetensors",
                                                  "--out", quantized, "--json"]))
        XCTAssertEqual(json["quantized"] as? Int, 1)
        let reread = try WeightCheckpoint.open(path: quantized)
        XCTAssertEqual(reread.tensors.map(\.name), ["fc.weight", "fc.weight.scale", "norm.weight", "ids"])
        XCTAssertEqual(reread.tensors.first?.shape, [4, 4], "8 int4 codes a row packed into 4 bytes")

        assertBadInput(try LatheBinary.run(["export", checkpoint, "--config", cfg, "--format", "qdq",
                                            "--out", scratch.path("m.onnx")]), mentions: [checkpoint, "weights-only"])
        let model = Samples.path("lenet5", "model.onnx")
        for format in ["llama-tensor-types", "safetensors"] {
            assertBadInput(try LatheBinary.run(["export", model, "--config", cfg, "--format", format,
                                                "--out", scratch.path("x.out")]), mentions: [model, "ONNX model"])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("x.out")))
    }

    func testNeverWritesOverTheCheckpoint() throws {
        let scratch = try ScratchDirectory()
        let checkpoint = try scratch.write("model.safetensors", CheckpointCLITests.safetensors())
        let before = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        let cfg = try scratch.write("c.yaml", Data("version: 1\ndefaults: {bits: 8}\n".utf8))
        let hard = scratch.path("hard.safetensors")
        try FileManager.default.linkItem(atPath: checkpoint, toPath: hard)
        let soft = scratch.path("soft.safetensors")
        try FileManager.default.createSymbolicLink(atPath: soft, withDestinationPath: checkpoint)
        for target in [checkpoint, hard, soft] {
            for format in ["safetensors", "llama-tensor-types"] {
                assertBadInput(try LatheBinary.run(["export", checkpoint, "--config", cfg, "--format", format,
                                                    "--out", target]), mentions: [target, "overwrite"])
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: checkpoint)), before)
    }
}
