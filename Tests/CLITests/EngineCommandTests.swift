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

    /// On the bundled MobileNet, 2-bit levels that lose far more than five points stop early: the table marks
    /// them `~` and says why, `--json` lists them under `partial`; `--stop-at none` runs every level in full, and
    /// the levels that did not stop are the same either way. A stop loss that is not a positive number is exit 2.
    func testSensitivityStopsLevelsThatCertainlyFailAndSaysSo() throws {
        let scratch = try ScratchDirectory()
        let mobilenet = Samples.path("mobilenet", "model.onnx")
        let args = ["sensitivity", mobilenet, "--data", Samples.path("mobilenet", "data.npz"), "--bits", "2,4",
                    "--no-cache"]
        let stopped = try parseJSON(try LatheBinary.run(args + ["--json"], environment: isolated(scratch)))
        let full = try parseJSON(try LatheBinary.run(args + ["--json", "--stop-at", "none"],
                                                     environment: isolated(scratch)))
        XCTAssertEqual((stopped["baseline"] as? [String: Any])?["stop_loss"] as? Double, 0.05)
        XCTAssertTrue((full["baseline"] as? [String: Any])?["stop_loss"] is NSNull)
        let stoppedLayers = try XCTUnwrap(stopped["layers"] as? [[String: Any]])
        let fullLayers = try XCTUnwrap(full["layers"] as? [[String: Any]])
        var partials = 0
        for (layer, exact) in zip(stoppedLayers, fullLayers) {
            let partial = try XCTUnwrap(layer["partial"] as? [String: [String: Double]])
            XCTAssertEqual((exact["partial"] as? [String: Any])?.isEmpty, true)
            let bits = try XCTUnwrap(layer["bits"] as? [String: Double])
            let exactBits = try XCTUnwrap(exact["bits"] as? [String: Double])
            for level in ["2", "4"] {
                if let entry = partial["bits \(level)"] {
                    partials += 1
                    XCTAssertLessThan(entry["samples"] ?? 2000, 2000)
                    XCTAssertGreaterThanOrEqual(entry["bound"] ?? 0, exactBits[level] ?? 1)
                } else {
                    XCTAssertEqual(bits[level], exactBits[level], "\(layer["name"] ?? "") bits \(level)")
                }
            }
        }
        XCTAssertGreaterThan(partials, 0)
        let text = try LatheBinary.run(args, environment: isolated(scratch))
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("~") && text.stdout.contains("stopped early"), text.stdout)
        for bad in ["0", "-0.1", "five", "inf"] {
            assertBadInput(try LatheBinary.run(args + ["--stop-at=\(bad)"], environment: isolated(scratch)),
                           mentions: ["--stop-at", bad])
        }
    }

    func testSensitivityJSONShapeCacheAndShards() throws {
        let scratch = try ScratchDirectory()
        let args = ["sensitivity", model, "--data", data, "--bits", "2,8", "--prune", "0.5", "--json"]
        let first = try LatheBinary.run(args, environment: isolated(scratch))
        let report = try parseJSON(first)
        XCTAssertEqual(Set(report.keys), ["baseline", "layers"])
        let layers = try XCTUnwrap(report["layers"] as? [[String: Any]])
        XCTAssertFalse(layers.isEmpty)
        for layer in layers {
            XCTAssertEqual(Set(layer.keys), ["name", "bits", "prune", "clusters", "gptq", "sqnr_db", "partial",
                                             "margin_settled", "score"])
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

    /// A GPTQ level of the sweep is `lathe eval --config` with only that layer at those bits rounded by GPTQ.
    func testSensitivityGPTQLevelsAreEvalsOfThatLayerAlone() throws {
        let scratch = try ScratchDirectory()
        let sweep = try parseJSON(try LatheBinary.run(["sensitivity", model, "--data", data, "--bits", "2", "--gptq", "2",
                                                       "--json"], environment: isolated(scratch)))
        let layers = try XCTUnwrap(sweep["layers"] as? [[String: Any]])
        var improved = 0
        for layer in layers {
            let name = try XCTUnwrap(layer["name"] as? String)
            let gptq = try XCTUnwrap((layer["gptq"] as? [String: Double])?["2"])
            let rtn = try XCTUnwrap((layer["bits"] as? [String: Double])?["2"])
            let config = try scratch.write("\(name).yaml", Data("version: 1\nlayers:\n  \"\(name)\": {bits: 2, method: gptq}\n".utf8))
            let eval = try parseJSON(try LatheBinary.run(["eval", model, "--data", data, "--config", config, "--json"]))
            XCTAssertEqual(eval["top1"] as? Double, gptq, name)
            if gptq > rtn { improved += 1 }
        }
        // On this MLP, GPTQ beats round-to-nearest at 2 bits on most layers (the recovery issue's point).
        XCTAssertGreaterThanOrEqual(improved, 2)
        let text = try LatheBinary.run(["sensitivity", model, "--data", data, "--bits", "2", "--gptq", "2"],
                                       environment: isolated(scratch))
        XCTAssertTrue(text.stdout.contains("gptq 2b"), text.stdout)
        XCTAssertTrue(text.stderr.contains("calibrate on the first 256 samples"), text.stderr)
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
        XCTAssertNil(result["points"], "points (with configurations) only with --pareto")
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

    /// `--pareto --json`: every point measured (its config re-evaluates to its value), sizes strictly
    /// increasing, values strictly better; the front dominates uniform int8 and int4.
    func testParetoFrontPointsAreMeasuredAndOrdered() throws {
        let scratch = try ScratchDirectory()
        let result = try parseJSON(try LatheBinary.run(["search", model, "--data", data, "--pareto", "--max-evals", "14",
                                                        "--json"], environment: isolated(scratch)))
        XCTAssertNil(result["result"], "no constraint: no chosen point")
        let points = try XCTUnwrap(result["points"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(points.count, 3)
        var sizes: [Int] = [], values: [Double] = []
        for (index, point) in points.enumerated() {
            let size = try XCTUnwrap(point["size_bytes"] as? Int)
            let metric = try XCTUnwrap(point["metric"] as? [String: Any])
            XCTAssertEqual(metric["name"] as? String, "top1")
            let value = try XCTUnwrap(metric["value"] as? Double)
            sizes.append(size)
            values.append(value)
            let config = try XCTUnwrap(point["config"] as? [String: Any])
            let path = scratch.path("point\(index).json")
            try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
            let eval = try parseJSON(try LatheBinary.run(["eval", model, "--data", data, "--config", path, "--json"]))
            XCTAssertEqual(eval["top1"] as? Double, value, "point \(index) \(point["label"] ?? "")")
            XCTAssertEqual(eval["size_bytes"] as? Int, size, "point \(index)")
        }
        XCTAssertEqual(sizes, sizes.sorted())
        XCTAssertEqual(Set(sizes).count, sizes.count)
        for (a, b) in zip(values, values.dropFirst()) { XCTAssertLessThan(a, b) }
        let text = try LatheBinary.run(["search", model, "--data", data, "--pareto", "--max-evals", "14"],
                                       environment: isolated(scratch))
        XCTAssertTrue(text.stdout.contains("uniform int8") || text.stdout.contains("knapsack"), text.stdout)
        XCTAssertFalse(text.stdout.contains("chosen:"), text.stdout)
        let out = try LatheBinary.run(["search", model, "--data", data, "--pareto", "--out", scratch.path("x.yaml")])
        XCTAssertEqual(out.status, 2)
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
        // The MLP's layer inputs hold more floats than its MACs allow checkpoints (one per 256), so it keeps none.
        XCTAssertEqual(result["cache_bytes"] as? Int, 0)
        let first = try XCTUnwrap(result["reeval_first_layer_s"] as? Double)
        let full = try XCTUnwrap(result["full_eval_s"] as? Double)
        XCTAssertEqual(try XCTUnwrap(result["reeval_first_layer_ratio"] as? Double), first / full, accuracy: 1e-9)
    }

    /// OpenBLAS is opened single-threaded whatever the environment asks, on its AVX-512 kernels
    /// on an AMD CPU that has them (OpenBLAS 0.3.21 would pick its AVX2 ones), and on the kernels a
    /// user names in OPENBLAS_CORETYPE when they do.
    func testBenchSaysWhichBLASKernelsItRanOn() throws {
        let unset = try parseJSON(try LatheBinary.run(["bench", model, "--data", data, "--json"],
                                                      environment: ["OPENBLAS_CORETYPE": "", "OPENBLAS_NUM_THREADS": "2"]))
        XCTAssertEqual(unset["blas_threads"] as? Int, 1)
        let kernels = try XCTUnwrap(unset["blas_kernels"] as? String)
        XCTAssertFalse(kernels.isEmpty)
        if Self.isAMDWithAVX512 { XCTAssertEqual(kernels, "SkylakeX") }
        let named = try parseJSON(try LatheBinary.run(["bench", model, "--data", data, "--json"],
                                                      environment: ["OPENBLAS_CORETYPE": "Haswell"]))
        XCTAssertEqual(named["blas_kernels"] as? String, "Haswell")
        XCTAssertEqual(named["blas_threads"] as? Int, 1)
    }

    /// An AMD CPU with AVX-512 F, CD, BW, DQ and VL, from /proc/cpuinfo (false elsewhere).
    static var isAMDWithAVX512: Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              info.contains("AuthenticAMD"),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let present = Set(flags.split(separator: " ").map(String.init))
        return ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(present.contains)
    }
}
