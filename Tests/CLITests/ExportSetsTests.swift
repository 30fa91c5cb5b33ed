import Foundation
import LatheCore
import XCTest

/// `lathe export` verified on several evaluation sets and with the metric `lathe eval --config` gives
/// each (non-classifier outputs included), and nf4 / pow2 grids stored as indices.
final class ExportSetsTests: XCTestCase {
    private func config(_ scratch: ScratchDirectory, _ text: String) throws -> String {
        try scratch.write("c.yaml", Data(text.utf8))
    }

    /// The per-set values of `lathe eval --config --json` (several sets: under `sets`, by name).
    private func evalValues(_ arguments: [String], sets: [String]) throws -> [String: (metric: String, value: Double)] {
        let json = try parseJSON(LatheBinary.run(["eval"] + arguments + ["--json"]))
        var result: [String: (String, Double)] = [:]
        for name in sets {
            let set = sets.count > 1 ? try XCTUnwrap((json["sets"] as? [String: Any])?[name] as? [String: Any]) : json
            let metric = try XCTUnwrap(set["metric"] as? [String: Any])
            result[name] = (try XCTUnwrap(metric["name"] as? String), try XCTUnwrap(metric["value"] as? Double))
        }
        return result
    }

    func testEverySetIsVerifiedWithItsEvalMetric() throws {
        let model = Samples.path("mobilenet", "model.onnx")
        let shifted = Samples.path("mobilenet", "data_shifted.npz")
        guard FileManager.default.fileExists(atPath: Samples.absolute(shifted)) else {
            throw XCTSkip("samples/mobilenet/data_shifted.npz is not in this checkout")
        }
        let scratch = try ScratchDirectory()
        let cfg = try config(scratch, "version: 1\ndefaults: {bits: 4}\n")
        let data = ["--data", "clean=" + Samples.path("mobilenet", "data.npz"), "--data", "shifted=" + shifted]
        let out = scratch.path("m.onnx")
        let export = try LatheBinary.run(["export", model, "--config", cfg, "--out", out, "--json"] + data)
        XCTAssertEqual(export.status, 0, export.stderr)
        let report = try parseJSON(export)
        let sets = try XCTUnwrap(report["sets"] as? [[String: Any]])
        XCTAssertEqual(sets.map { $0["set"] as? String }, ["clean", "shifted"])
        let expected = try evalValues([model, "--config", cfg] + data, sets: ["clean", "shifted"])
        for set in sets {
            let name = try XCTUnwrap(set["set"] as? String)
            XCTAssertEqual(set["name"] as? String, expected[name]?.metric)
            XCTAssertEqual(set["configuration"] as? Double, expected[name]?.value, name)
            XCTAssertEqual(set["export"] as? Double, expected[name]?.value, name)
        }
        XCTAssertNotEqual(expected["clean"]?.value, expected["shifted"]?.value, "two different sets")
        let text = try LatheBinary.run(["export", model, "--config", cfg, "--out", out] + data)
        XCTAssertEqual(text.stdout.components(separatedBy: "verified: set ").count - 1, 2, text.stdout)
    }

    func testNonClassifierOutputsAreVerifiedWithTheirMetric() throws {
        let scratch = try ScratchDirectory()
        let cfg = try config(scratch, "version: 1\ndefaults: {bits: 4}\n")
        for (sample, metric) in [("regressor", "mse"), ("segmenter", "top1")] {
            let model = Samples.path(sample, "model.onnx"), data = Samples.path(sample, "data.npz")
            let out = scratch.path("\(sample).onnx")
            let export = try LatheBinary.run(["export", model, "--config", cfg, "--data", data, "--out", out, "--json"])
            XCTAssertEqual(export.status, 0, export.stderr)
            let checked = try XCTUnwrap(parseJSON(export)["metric"] as? [String: Any])
            let expected = try evalValues([model, "--config", cfg, "--data", data], sets: ["data"])
            XCTAssertEqual(checked["name"] as? String, metric)
            XCTAssertEqual(expected["data"]?.metric, metric)
            XCTAssertEqual(checked["export"] as? Double, expected["data"]?.value, sample)
            // And the written file, run as a plain model, scores as the configuration does.
            let rerun = try evalValues([out, "--data", data], sets: ["data"])
            XCTAssertEqual(rerun["data"]?.value, expected["data"]?.value, sample)
        }
    }

    /// Activation bits with two sets: `lathe eval` calibrates the ranges on the first set for both, so the
    /// export's one calibration is each set's, and its verification on each set equals eval's value.
    func testActivationBitsWithSeveralSetsVerifyEverySetAsEvalScoresIt() throws {
        let model = Samples.path("mobilenet", "model.onnx")
        let shifted = Samples.path("mobilenet", "data_shifted.npz")
        guard FileManager.default.fileExists(atPath: Samples.absolute(shifted)) else {
            throw XCTSkip("samples/mobilenet/data_shifted.npz is not in this checkout")
        }
        let scratch = try ScratchDirectory()
        let cfg = try config(scratch, "version: 1\ndefaults: {bits: 8, abits: 6}\n")
        let clean = Samples.path("mobilenet", "data.npz")
        let data = ["--data", "clean=" + clean, "--data", "shifted=" + shifted]
        let out = scratch.path("abits.onnx")
        let export = try LatheBinary.run(["export", model, "--config", cfg, "--out", out, "--json"] + data)
        XCTAssertEqual(export.status, 0, export.stderr)
        let sets = try XCTUnwrap(parseJSON(export)["sets"] as? [[String: Any]])
        XCTAssertEqual(sets.map { $0["set"] as? String }, ["clean", "shifted"])
        let expected = try evalValues([model, "--config", cfg] + data, sets: ["clean", "shifted"])
        for set in sets {
            let name = try XCTUnwrap(set["set"] as? String)
            XCTAssertEqual(set["configuration"] as? Double, expected[name]?.value, name)
            XCTAssertEqual(set["export"] as? Double, expected[name]?.value, name)
        }
        // The second set took the first set's ranges: evaluated alone (its own ranges) it scores otherwise,
        // and the written file, run as a plain model on it, scores as the two-set evaluation does.
        let alone = try evalValues([model, "--config", cfg, "--data", shifted], sets: ["data"])
        // --calib names the one source for every set: the clean samples give the very same ranges.
        let calibrated = try evalValues([model, "--config", cfg, "--data", "first=" + shifted, "--data", "again=" + shifted,
                                         "--calib", clean], sets: ["first", "again"])
        XCTAssertEqual(calibrated["first"]?.value, expected["shifted"]?.value)
        XCTAssertEqual(calibrated["again"]?.value, expected["shifted"]?.value)
        let rerun = try evalValues([out, "--data", shifted], sets: ["data"])
        XCTAssertEqual(rerun["data"]?.value, expected["shifted"]?.value)
        XCTAssertNotEqual(alone["data"]?.value, expected["shifted"]?.value,
                          "calibrated on its own samples the shifted set scores differently")
        // export --calib takes the same source as eval --calib: the shifted set alone, calibrated on the clean one.
        let calibratedOut = scratch.path("calibrated.onnx")
        let calibratedExport = try LatheBinary.run(["export", model, "--config", cfg, "--data", shifted, "--calib", clean,
                                                    "--out", calibratedOut, "--json"])
        XCTAssertEqual(calibratedExport.status, 0, calibratedExport.stderr)
        let checked = try XCTUnwrap(parseJSON(calibratedExport)["metric"] as? [String: Any])
        XCTAssertEqual(checked["configuration"] as? Double, expected["shifted"]?.value)
        XCTAssertEqual(checked["export"] as? Double, expected["shifted"]?.value)
    }

    func testLevelGridsAreStoredAsIndicesThroughGather() throws {
        let scratch = try ScratchDirectory()
        let model = Samples.path("lenet5", "model.onnx"), data = Samples.path("lenet5", "data.npz")
        for (grid, levels) in [("nf4", 16), ("pow2", 15)] {
            let cfg = try config(scratch, "version: 1\ndefaults: {bits: 4, grid: \(grid)}\n")
            let out = scratch.path("\(grid).onnx")
            let export = try LatheBinary.run(["export", model, "--config", cfg, "--data", data, "--out", out, "--json"])
            XCTAssertEqual(export.status, 0, export.stderr)
            XCTAssertFalse(export.stderr.contains("stored as float32"), export.stderr)
            let report = try parseJSON(export)
            let storage = try XCTUnwrap(report["layers"] as? [String: String])
            XCTAssertTrue(storage.values.allSatisfy { $0 == "\(levels) levels + uint4 indices × per-channel scale" },
                          "\(storage)")
            let metric = try XCTUnwrap(report["metric"] as? [String: Any])
            XCTAssertEqual(metric["export"] as? Double, metric["configuration"] as? Double)
            let written = try ONNXReader.read(path: out)
            let levelTables = written.graph.initializers.filter { $0.key.hasSuffix("_levels") }
            XCTAssertEqual(levelTables.count, storage.count)
            XCTAssertTrue(levelTables.values.allSatisfy { $0.count == levels })
            XCTAssertTrue(written.graph.initializers.values.contains { $0.dtype == .uint4 })
            XCTAssertFalse(written.graph.nodes.contains { $0.opType == "DequantizeLinear" })
            // The file (no longer float32 weights) runs in Lathe as the configuration does.
            let configured = try evalValues([model, "--config", cfg, "--data", data], sets: ["data"])
            let exported = try evalValues([out, "--data", data], sets: ["data"])
            XCTAssertEqual(exported["data"]?.value, configured["data"]?.value, grid)
            let inputBytes = try Data(contentsOf: URL(fileURLWithPath: Samples.absolute(model))).count
            XCTAssertLessThan(Double(try Data(contentsOf: URL(fileURLWithPath: out)).count), 0.2 * Double(inputBytes))
        }
    }
}
