import Foundation
import XCTest
@testable import LatheCore

/// `--data NAME=FILE` repeated on sensitivity, search and bench (MobileNet, clean and shifted):
/// the worst over the sets, a budget held on every set as `lathe eval` measures it, and the
/// same refusals as eval's.
final class CommandSetsTests: XCTestCase {
    let model = Samples.path("mobilenet", "model.onnx")
    let clean = Samples.path("mobilenet", "data.npz")
    let shifted = Samples.path("mobilenet", "data_shifted.npz")
    var sets: [String] { ["--data", "clean=\(clean)", "--data", "shifted=\(shifted)"] }

    func testSensitivityReportsTheWorstDropOverTheSets() throws {
        let json = try parseJSON(LatheBinary.run(["sensitivity", model] + sets + ["--bits", "2", "--no-cache", "--json"]))
        let perSet = try XCTUnwrap(json["sets"] as? [String: [String: Any]])
        XCTAssertEqual(Set(perSet.keys), ["clean", "shifted"])
        let worstNames = try XCTUnwrap(json["worst"] as? [String: [String: String]])
        func drops(_ report: [String: Any]) throws -> [String: Double] {
            let baseline = try XCTUnwrap((report["baseline"] as? [String: Any])?["value"] as? Double)
            let layers = try XCTUnwrap(report["layers"] as? [[String: Any]])
            return try Dictionary(uniqueKeysWithValues: layers.map { layer in
                (try XCTUnwrap(layer["name"] as? String),
                 baseline - (try XCTUnwrap((layer["bits"] as? [String: Double])?["2"])))
            })
        }
        let top = try drops(json)
        let cleanDrops = try drops(XCTUnwrap(perSet["clean"]))
        let shiftedDrops = try drops(XCTUnwrap(perSet["shifted"]))
        XCTAssertFalse(top.isEmpty)
        var bothWorst = Set<String>()
        for (layer, drop) in top {
            let each = try [XCTUnwrap(cleanDrops[layer]), XCTUnwrap(shiftedDrops[layer])]
            XCTAssertEqual(drop, try XCTUnwrap(each.max()), accuracy: 1e-9, layer)
            let named = try XCTUnwrap(worstNames[layer]?["bits 2"])
            XCTAssertEqual(named, each[1] > each[0] ? "shifted" : "clean", layer)
            bothWorst.insert(named)
        }
        XCTAssertEqual(bothWorst, ["clean", "shifted"], "each set loses most on some layer: the max is not one set's")
    }

    func testSearchHoldsTheBudgetOnEverySetAsEvalMeasures() throws {
        let scratch = try ScratchDirectory()
        let out = scratch.path("best.yaml")
        let json = try parseJSON(LatheBinary.run(["search", model] + sets
            + ["--max-drop", "0.03", "--bits", "2,4,8", "--max-evals", "8", "--no-cache", "--out", out, "--json"]))
        let perSet = try XCTUnwrap(json["sets"] as? [String: [String: Any]])
        let evaluated = try parseJSON(LatheBinary.run(["eval", model] + sets + ["--config", out, "--json"]))
        let evalSets = try XCTUnwrap(evaluated["sets"] as? [String: [String: Any]])
        for name in ["clean", "shifted"] {
            let value = try XCTUnwrap(perSet[name]?["value"] as? Double)
            let baseline = try XCTUnwrap(perSet[name]?["baseline"] as? Double)
            XCTAssertEqual(value, try XCTUnwrap(evalSets[name]?["top1"] as? Double), name)
            XCTAssertGreaterThanOrEqual(value, baseline - 0.03 - 1e-12, name)
            XCTAssertEqual(perSet[name]?["satisfied"] as? Bool, true, name)
        }
        let written = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(written.contains("shifted_top1"), written)
    }

    func testBenchTimesEverySet() throws {
        let json = try parseJSON(LatheBinary.run(["bench", model] + sets + ["--json"]))
        let perSet = try XCTUnwrap(json["sets"] as? [String: [String: Any]])
        XCTAssertEqual(Set(perSet.keys), ["clean", "shifted"])
        XCTAssertEqual(perSet["shifted"]?["data"] as? String, shifted)
        XCTAssertEqual(perSet["shifted"]?["samples"] as? Int, 2000)
        XCTAssertEqual(json["data"] as? String, clean)
    }

    func testEveryCommandRefusesWhatEvalRefuses() throws {
        let scratch = try ScratchDirectory()
        // The first 64 images without labels: the first set's top-1 cannot score them.
        let unlabelled = scratch.path("unlabelled.npz")
        try NPZFormat.write([(name: "x", tensor: Dataset.load(path: Samples.absolute(clean)).batch(0..<64))],
                            to: unlabelled)
        let wrongShape = Samples.path("digits_mlp", "data.npz")
        for command in [["sensitivity", model, "--bits", "2", "--no-cache"],
                        ["search", model, "--max-drop", "0.05", "--no-cache"], ["bench", model]] {
            assertBadInput(try LatheBinary.run(command + ["--data", "a=\(clean)", "--data", "a=\(shifted)"]),
                           mentions: ["two sets are named 'a'"])
            assertBadInput(try LatheBinary.run(command + ["--data", clean, "--data", unlabelled]),
                           mentions: [unlabelled, "top1"])
            assertBadInput(try LatheBinary.run(command + ["--data", clean, "--data", "other=\(wrongShape)"]),
                           mentions: [wrongShape])
        }
    }
}
