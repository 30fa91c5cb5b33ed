import Foundation
import LatheCore
import XCTest

/// End-to-end tests of `lathe sensitivity`, `lathe search` and `lathe bench`.
final class EngineCommandTests: XCTestCase {
    private let model = Samples.path("digits_mlp", "model.onnx")
    private let data = Samples.path("digits_mlp", "data.npz")

    private func isolated(_ scratch: ScratchDirectory) -> [String: String] {
        ["XDG_CACHE_HOME": scratch.path("cache")]
    }

    private func keys(_ object: Any?) -> Set<String> { Set((object as? [String: Any])?.keys.map { $0 } ?? []) }

    func testSensitivityJSONShapeCacheAndShards() throws {
        let scratch = try ScratchDirectory()
        let args = ["sensitivity", model, "--data", data, "--bits", "2,8", "--prune", "0.5", "--json"]
        let first = try LatheBinary.run(args, environment: isolated(scratch))
        let report = try parseJSON(first)
        XCTAssertEqual(Set(report.keys), ["baseline", "layers"])
        let layers = try XCTUnwrap(report["layers"] as? [[String: Any]])
        XCTAssertFalse(layers.isEmpty)
        for layer in layers {
            XCTAssertEqual(Set(layer.keys), ["name", "bits", "prune", "clusters", "sqnr_db", "score"])
            XCTAssertEqual(keys(layer["bits"]), ["2", "8"])
            XCTAssertEqual(keys(layer["prune"]), ["0.5"])
            XCTAssertEqual(keys(layer["sqnr_db"]), ["2", "8"])
        }
        // Cached: the second run prints the same report.
        let second = try LatheBinary.run(args, environment: isolated(scratch))
        XCTAssertEqual(second.stdout, first.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path("cache/lathe/sensitivity")))

        // Shards written to files and merged give the full report's layers.
        var shardFiles: [String] = []
        for shard in ["1/2", "2/2"] {
            let run = try LatheBinary.run(args + ["--shard", shard, "--no-cache"], environment: isolated(scratch))
            XCTAssertEqual(run.status, 0, run.stderr)
            shardFiles.append(try scratch.write("shard\(shardFiles.count).json", Data(run.stdout.utf8)))
        }
        let merged = try parseJSON(try LatheBinary.run(["sensitivity", "--merge"] + shardFiles + ["--json"]))
        let mergedLayers = try XCTUnwrap(merged["layers"] as? [[String: Any]])
        XCTAssertEqual(mergedLayers.map { $0["name"] as? String }, layers.map { $0["name"] as? String })
        XCTAssertEqual(mergedLayers.map { $0["bits"] as? [String: Double] }, layers.map { $0["bits"] as? [String: Double] })
    }

    func testSensitivityDataFreeAndText() throws {
        let scratch = try ScratchDirectory()
        let run = try LatheBinary.run(["sensitivity", Samples.path("lenet5", "model.onnx"), "--bits", "2,4"],
                                      environment: isolated(scratch))
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("data-free"), run.stdout)
        XCTAssertTrue(run.stdout.contains("SQNR 2b"), run.stdout)
        XCTAssertTrue(run.stdout.contains(" dB"), run.stdout)
    }

    func testSensitivityBadInput() throws {
        assertBadInput(try LatheBinary.run(["sensitivity", "missing.onnx", "--data", data]), mentions: ["missing.onnx"])
        let bits = try LatheBinary.run(["sensitivity", model, "--data", data, "--bits", "0,4", "--no-cache"])
        assertBadInput(bits, mentions: ["bits level 0"])
        let shard = try LatheBinary.run(["sensitivity", model, "--data", data, "--shard", "3/2", "--no-cache"])
        assertBadInput(shard, mentions: ["--shard 3/2"])
        let scratch = try ScratchDirectory()
        let junk = try scratch.write("junk.json", Data("{\"layers\": 3}".utf8))
        assertBadInput(try LatheBinary.run(["sensitivity", "--merge", junk]), mentions: [junk])
    }

    func testSearchWritesAConfigThatMeetsTheConstraint() throws {
        let scratch = try ScratchDirectory()
        let out = scratch.path("best.yaml")
        let run = try LatheBinary.run(["search", model, "--data", data, "--max-drop", "0.02", "--bits", "2,4,8",
                                       "--out", out, "--json"], environment: isolated(scratch))
        let result = try parseJSON(run)
        let chosen = try XCTUnwrap(result["result"] as? [String: Any])
        XCTAssertEqual(chosen["satisfied"] as? Bool, true)
        let baseline = try XCTUnwrap((result["baseline"] as? [String: Any])?["value"] as? Double)
        let value = try XCTUnwrap(chosen["value"] as? Double)
        XCTAssertGreaterThanOrEqual(value, baseline - 0.02)
        XCTAssertLessThan(try XCTUnwrap(chosen["size_vs_int8"] as? Double), 1)
        XCTAssertFalse((result["pareto_front"] as? [Any] ?? []).isEmpty)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(text.contains("# measured: top1"), text)
        XCTAssertTrue(text.contains("version: 1"), text)
        // The written configuration reads back as the plan the search reports.
        let config = try CompressionConfig.read(path: out)
        let layers = try XCTUnwrap(chosen["layers"] as? [String: String])
        for rule in config.layers {
            XCTAssertEqual(layers[rule.pattern.text],
                           ConfigWriter.keyValues(rule.settings).map { "\($0.key): \($0.value)" }
                               .joined(separator: ", "))
        }
    }

    func testSearchRefusesToOverwriteAnInputAndNeedsOneConstraint() throws {
        assertBadInput(try LatheBinary.run(["search", model, "--data", data, "--max-drop", "0.01", "--out", data]),
                       mentions: ["refusing to overwrite"])
        let both = try LatheBinary.run(["search", model, "--data", data, "--max-drop", "0.01", "--target-ratio", "4"])
        XCTAssertEqual(both.status, 2)
        XCTAssertTrue(both.stderr.contains("exactly one of"), both.stderr)
    }

    func testBenchReportsEveryFigure() throws {
        let result = try parseJSON(try LatheBinary.run(["bench", model, "--data", data, "--json"]))
        for key in ["full_eval_s", "reeval_last_layer_s", "reeval_first_layer_s", "first_update_ms", "cache_bytes"] {
            XCTAssertNotNil(result[key], "missing \(key)")
        }
        XCTAssertGreaterThan(result["full_eval_s"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(result["cache_bytes"] as? Int ?? 0, 0)
    }
}
