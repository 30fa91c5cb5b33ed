import Foundation
import XCTest
@testable import LatheCore

/// `--format llama-tensor-types`: the mapping table of the README, the anchored names, and the header.
final class LlamaTensorTypesTests: XCTestCase {
    func testEachSettingMapsToTheNearestTypeAtLeastAsPrecise() {
        func type(_ settings: LayerSettings, row: Int = 64) -> String {
            LlamaTensorTypes.mapping(settings, rowLength: row, stored: "f16").type
        }
        XCTAssertEqual(type(LayerSettings()), "f16")
        XCTAssertEqual(type(LayerSettings(bits: .float32, prune: 0.5)), "f32")
        XCTAssertEqual(type(LayerSettings(bits: .fp16)), "f16")
        XCTAssertEqual(type(LayerSettings(bits: .bf16)), "bf16")
        XCTAssertEqual(type(LayerSettings(bits: .integer(8))), "q8_0")
        XCTAssertEqual(type(LayerSettings(bits: .integer(7))), "q8_0")
        XCTAssertEqual(type(LayerSettings(bits: .integer(6))), "q8_0")
        XCTAssertEqual(type(LayerSettings(bits: .integer(6)), row: 512), "q6_k")
        XCTAssertEqual(type(LayerSettings(bits: .integer(5))), "q5_0")
        XCTAssertEqual(type(LayerSettings(bits: .integer(5), scheme: .asymmetric)), "q5_1")
        XCTAssertEqual(type(LayerSettings(bits: .integer(4))), "q4_0")
        XCTAssertEqual(type(LayerSettings(bits: .integer(4), scheme: .asymmetric)), "q4_1")
        XCTAssertEqual(type(LayerSettings(bits: .integer(3))), "q4_0")
        XCTAssertEqual(type(LayerSettings(bits: .integer(3)), row: 256), "q3_k")
        XCTAssertEqual(type(LayerSettings(bits: .integer(2)), row: 256), "q2_k")
        XCTAssertEqual(type(LayerSettings(bits: .integer(10))), "f16")
        XCTAssertEqual(type(LayerSettings(bits: .integer(16))), "f32")
        XCTAssertEqual(type(LayerSettings(bits: .integer(4), grid: .nf4)), "iq4_nl")
        XCTAssertEqual(type(LayerSettings(bits: .integer(8), clusters: 16)), "q4_0")
        XCTAssertEqual(type(LayerSettings(bits: .integer(8), clusters: 200)), "q8_0")
        XCTAssertTrue(LlamaTensorTypes.mapping(LayerSettings(bits: .fp16), rowLength: 64, stored: "f32").exact)
        let pruned = LlamaTensorTypes.mapping(LayerSettings(bits: .integer(4), prune: 0.5), rowLength: 64, stored: "f32")
        XCTAssertFalse(pruned.exact)
        XCTAssertTrue(pruned.reason.contains("unstructured pruning"), pruned.reason)
    }

    func testPatternsMatchOnlyTheirOwnTensor() throws {
        let pattern = LlamaTensorTypes.pattern("output.weight")
        XCTAssertEqual(pattern, "^output\\.weight$")
        let regex = try NSRegularExpression(pattern: pattern)
        for (name, matches) in [("output.weight", true), ("blk.0.attn_output.weight", false), ("outputXweight", false)] {
            let found = regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
            XCTAssertEqual(found, matches, name)
        }
        XCTAssertEqual(LlamaTensorTypes.pattern("a[0](x)+y"), "^a\\[0\\]\\(x\\)\\+y$")
    }

    func testGGUFOfARealModelGetsOneLinePerLayerAndAHeader() throws {
        let folder = try TemporaryFolder()
        let (path, names) = try CheckpointExportFixtures.gguf(in: folder)
        let checkpoint = try WeightCheckpoint.open(path: path)
        let layers = checkpoint.layerTensors.map(CheckpointEvaluator.layer)
        var plan = CompressionPlan.identity(layers: layers)
        plan.set(LayerSettings(bits: .integer(4)), for: names[0])
        plan.set(LayerSettings(bits: .fp16), for: names[1])
        let text = LlamaTensorTypes.render(checkpoint: checkpoint, plan: plan)
        let lines = text.split(separator: "\n").map(String.init)
        let arguments = lines.filter { !$0.hasPrefix("#") }
        XCTAssertEqual(arguments, [
            "--tensor-type ^blk\\.0\\.attn_output\\.weight$=q4_0",
            "--tensor-type ^blk\\.1\\.attn_output\\.weight$=f16",
            "--tensor-type ^output\\.weight$=f32",
        ])
        let header = lines.filter { $0.hasPrefix("#") }.joined(separator: "\n")
        XCTAssertTrue(header.contains("{bits 4} -> q4_0 (1 tensor; no equivalent for: 4-bit symmetric per-channel)"), header)
        XCTAssertFalse(header.contains("fp16"), header)
        XCTAssertFalse(header.contains("safetensors tensor names"), header)
    }

    func testSafetensorsNamesAreSaidToBeSafetensorsNames() throws {
        let folder = try TemporaryFolder()
        let (path, _) = try CheckpointExportFixtures.safetensors(in: folder)
        let checkpoint = try WeightCheckpoint.open(path: path)
        let layers = checkpoint.layerTensors.map(CheckpointEvaluator.layer)
        let text = LlamaTensorTypes.render(checkpoint: checkpoint, plan: .identity(layers: layers))
        XCTAssertTrue(text.contains("safetensors tensor names"), text)
        XCTAssertTrue(text.contains("every setting has an exact llama.cpp equivalent"), text)
        XCTAssertEqual(text.split(separator: "\n").filter { $0.hasPrefix("--tensor-type") }.count, layers.count)
    }
}
