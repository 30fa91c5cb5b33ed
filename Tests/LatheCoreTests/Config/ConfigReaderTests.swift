import Foundation
import XCTest
@testable import LatheCore

final class ConfigReaderTests: XCTestCase {
    let layers = [
        WeightLayer(name: "conv1.weight", op: .conv, nodeName: "", shape: [6, 1, 5, 5], channelAxis: 0,
                    reductionAxis: 1, macs: 0),
        WeightLayer(name: "block.depthwise.weight", op: .conv, nodeName: "", shape: [6, 1, 3, 3], channelAxis: 0,
                    reductionAxis: 1, groups: 6, macs: 0),
        WeightLayer(name: "fc1.weight", op: .gemm, nodeName: "", shape: [32, 96], channelAxis: 0,
                    reductionAxis: 1, macs: 0),
        WeightLayer(name: "fc2.weight", op: .gemm, nodeName: "", shape: [10, 32], channelAxis: 0,
                    reductionAxis: 1, macs: 0),
    ]

    /// The example of DESIGN.md "Configuration file (v1)".
    let designExample = """
        version: 1
        model: samples/lenet5/model.onnx      # informative
        defaults: {bits: 8}                   # for every layer not matched below
        layers:
          conv1.weight: {bits: 4, prune: 0.5}
          "*depthwise*": {bits: 8, granularity: per-tensor}   # glob; exact names win
          fc2.weight: {clusters: 16, structure: unstructured, prune: 0.9}

        """

    func parse(_ text: String, path: String = "cfg.yaml") throws -> CompressionConfig {
        try ConfigReader.parse(text, path: path)
    }

    /// The message of the badInput error `body` throws.
    func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
        } catch let error as LatheError {
            XCTAssertEqual(error.kind, .badInput)
            return error.message
        } catch {
            XCTFail("unexpected error \(error)")
        }
        XCTFail("no error thrown")
        return ""
    }

    func testDesignExample() throws {
        let config = try parse(designExample)
        XCTAssertEqual(config.model, "samples/lenet5/model.onnx")
        XCTAssertEqual(config.defaults, .int(8))
        XCTAssertEqual(config.layers.map(\.pattern.text), ["conv1.weight", "*depthwise*", "fc2.weight"])
        XCTAssertEqual(config.source?.ruleLines.map(\.line), [5, 6, 7])
        var conv1 = LayerSettings.int(4)
        conv1.prune = 0.5
        var fc2 = LayerSettings()
        fc2.clusters = 16
        fc2.prune = 0.9
        let plan = try config.plan(for: layers)
        XCTAssertEqual(plan.settings(for: "conv1.weight"), conv1)
        XCTAssertEqual(plan.settings(for: "block.depthwise.weight"), .int(8, .symmetric, .perTensor))
        XCTAssertEqual(plan.settings(for: "fc1.weight"), .int(8))  // defaults
        XCTAssertEqual(plan.settings(for: "fc2.weight"), fc2)      // the entry replaces the defaults whole
    }

    func testSameSchemaInJSON() throws {
        let json = """
            {
            \t"version": 1,
            \t"defaults": {"bits": 8, "scheme": "asymmetric"},
            \t"layers": {
            \t\t"fc2.weight": {"structure": "2:4", "bits": "bf16"},
            \t\t"conv1.weight": {"bits": 0}
            \t}
            }
            """
        XCTAssertEqual(message { try self.parse(json, path: "cfg.json") },
                       "cfg.json:6: bits: 0 is out of range: use 1–16, 32 (keep float), fp16 or bf16")
        let config = try parse(json.replacingOccurrences(of: "\"bits\": 0", with: "\"abits\": 8"), path: "c.json")
        XCTAssertEqual(config.defaults, .int(8, .asymmetric))
        XCTAssertEqual(config.layers[0].settings, LayerSettings(bits: .bf16, prune: 0.5, structure: .twoFour))
        XCTAssertEqual(config.layers[1].settings.activationBits, 8)
        XCTAssertEqual(message { try self.parse("{\"version\": 1,,}", path: "x.json") }.prefix(25),
                       "x.json:1: not valid JSON:")
    }

    func testBadValuesNameFileLineAndKey() {
        func layerLine(_ entry: String) -> String { "version: 1\nlayers:\n  fc1.weight: \(entry)\n" }
        XCTAssertEqual(message { try self.parse(layerLine("{prune: 1.5}")) },
                       "cfg.yaml:3: prune: 1.5 is out of range: use a ratio 0 ≤ prune < 1")
        XCTAssertEqual(message { try self.parse(layerLine("{bitz: 4}")) },
                       "cfg.yaml:3: bitz: unknown key (did you mean 'bits'?)")
        XCTAssertEqual(message { try self.parse(layerLine("{clusters: 1}")) },
                       "cfg.yaml:3: clusters: 1 is out of range: use 2–256")
        XCTAssertEqual(message { try self.parse(layerLine("{clusters: 300}")) },
                       "cfg.yaml:3: clusters: 300 is out of range: use 2–256")
        XCTAssertTrue(message { try self.parse(layerLine("{bits: 4, range: percentile, percentile: 0}")) }
            .hasPrefix("cfg.yaml:3: percentile: 0 is out of range"))
        XCTAssertTrue(message { try self.parse(layerLine("{bits: 4, range: percentile, percentile: 100.5}")) }
            .hasPrefix("cfg.yaml:3: percentile: 100.5 is out of range"))
        XCTAssertEqual(message { try self.parse(layerLine("{bits: 4, percentile: 99}")) },
                       "cfg.yaml:3: percentile: needs range: percentile")
        XCTAssertEqual(message { try self.parse(layerLine("{bits: 4, scheme: asymetric}")) },
                       "cfg.yaml:3: scheme: 'asymetric' is not one of symmetric, asymmetric (did you mean 'asymmetric'?)")
        XCTAssertTrue(message { try self.parse(layerLine("{bits: 4, clusters: 16}")) }
            .hasPrefix("cfg.yaml:3: clusters: cannot be combined with bits"))
        XCTAssertEqual(message { try self.parse(layerLine("{scheme: asymmetric}")) },
                       "cfg.yaml:3: scheme: has no effect without integer bits (1–16)")
        XCTAssertTrue(message { try self.parse(layerLine("{structure: channel}")) }
            .hasPrefix("cfg.yaml:3: structure: needs prune"))
        XCTAssertTrue(message { try self.parse(layerLine("{structure: \"2:4\", prune: 0.3}")) }
            .hasPrefix("cfg.yaml:3: prune: 2:4 sparsity removes exactly half"))
        XCTAssertTrue(message { try self.parse(layerLine("{share_group: a}")) }
            .hasPrefix("cfg.yaml:3: share_group: needs clusters"))
        XCTAssertTrue(message { try self.parse(layerLine("{rank: 0}")) }.hasPrefix("cfg.yaml:3: rank: 0 is out of range"))
        XCTAssertTrue(message { try self.parse(layerLine("{rank: 0.5, prune: 0.5}")) }
            .hasPrefix("cfg.yaml:3: rank: cannot be combined with prune"))
        XCTAssertEqual(message { try self.parse(layerLine("{bits: eight}")) },
                       "cfg.yaml:3: bits: 'eight' is not a bit width: use 1–16, 32 (keep float), fp16 or bf16")
        // Settings on their own lines report the key's own line.
        XCTAssertEqual(message { try self.parse("version: 1\ndefaults:\n  bits: 8\n  prune: -0.1\n") },
                       "cfg.yaml:4: prune: -0.1 is out of range: use a ratio 0 ≤ prune < 1")
    }

    func testLayerNamesAndGlobsAreCheckedAgainstTheModel() throws {
        let typo = try parse("version: 1\nlayers:\n  fc1.weight: {bits: 4}\n  conv1.weigth: {bits: 4}\n")
        XCTAssertEqual(message { try typo.plan(for: self.layers) },
                       "cfg.yaml:4: conv1.weigth: no layer of that name in the model (did you mean 'conv1.weight'?)")
        let glob = try parse("version: 1\nlayers:\n  \"*pointwise*\": {bits: 4}\n")
        XCTAssertEqual(message { try glob.plan(for: self.layers) },
                       "cfg.yaml:3: *pointwise*: this glob matches no layer of the model")
        let rank = try parse("version: 1\nlayers:\n  \"fc*\": {rank: 0.5}\n  conv1.weight:\n    bits: 8\n    rank: 0.5\n")
        XCTAssertEqual(message { try rank.plan(for: self.layers) },
                       "cfg.yaml:6: rank: applies only to Gemm, MatMul, 1×1 Conv, LSTM, GRU and RNN; conv1.weight is a 5×5 Conv")
        let groups = try parse("""
            version: 1
            layers:
              fc1.weight: {clusters: 16, share_group: fc}
              fc2.weight: {clusters: 8, share_group: fc}
            """)
        XCTAssertEqual(message { try groups.plan(for: self.layers) },
                       "cfg.yaml:4: clusters: layers of share_group 'fc' must use the same clusters; found 8 and 16")
    }

    func testConfigAppliesToAnyModelWithMatchingNames() throws {
        let config = try parse("version: 1\ndefaults: {bits: 4}\nlayers:\n  fc2.weight: {bits: 8}\n")
        let other = [WeightLayer(name: "fc2.weight", op: .matMul, nodeName: "", shape: [32, 10], channelAxis: 1,
                                 reductionAxis: 0, macs: 0),
                     WeightLayer(name: "head.weight", op: .matMul, nodeName: "", shape: [10, 2], channelAxis: 1,
                                 reductionAxis: 0, macs: 0)]
        let plan = try config.plan(for: other)
        XCTAssertEqual(plan.settings(for: "fc2.weight"), .int(8))
        XCTAssertEqual(plan.settings(for: "head.weight"), .int(4))
    }

    func testBadFiles() throws {
        XCTAssertEqual(message { try ConfigReader.read(path: "/nonexistent/cfg.yaml") }, "/nonexistent/cfg.yaml: no such file")
        XCTAssertTrue(message { try self.parse("") }.hasPrefix("cfg.yaml: empty file"))
        XCTAssertTrue(message { try self.parse("# only a comment\n") }.hasPrefix("cfg.yaml: empty file"))
        XCTAssertTrue(message { try self.parse("version: 1\nlayers: [a\n") }.hasPrefix("cfg.yaml:3: not valid YAML"))
        XCTAssertEqual(message { try self.parse("version: 2\n") },
                       "cfg.yaml:1: version: 2 is not supported: this is version 1 of the format")
        XCTAssertEqual(message { try self.parse("defaults: {bits: 8}\n") },
                       "cfg.yaml:1: version: missing: a configuration file starts with 'version: 1'")
        XCTAssertEqual(message { try self.parse("- 1\n- 2\n") },
                       "cfg.yaml:1: top level: expected a mapping with version, defaults and layers")
        XCTAssertEqual(message { try self.parse("version: 1\nlayer:\n  fc1.weight: {bits: 8}\n") },
                       "cfg.yaml:2: layer: unknown key (did you mean 'layers'?)")
        XCTAssertTrue(message { try self.parse("version: 1\nlayers:\n  fc1.weight: {bits: 8}\n  fc1.weight: {bits: 4}\n") }
            .contains("fc1.weight: duplicate"))
        // Null and empty entries mean "leave this layer as it is".
        let config = try parse("version: 1\ndefaults: {bits: 8}\nlayers:\n  fc1.weight:\n  fc2.weight: {}\n")
        XCTAssertEqual(config.layers.map(\.settings), [.identity, .identity])
        // A file on disk.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-config-\(UUID()).yaml")
        try designExample.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try ConfigReader.read(path: url.path), try parse(designExample))
    }

    func testSuggestions() {
        XCTAssertEqual(Suggestions.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(Suggestions.editDistance("", "abc"), 3)
        XCTAssertEqual(Suggestions.nearest(to: "fc3.weight", in: ["conv1.weight", "fc2.weight"]), "fc2.weight")
    }
}
