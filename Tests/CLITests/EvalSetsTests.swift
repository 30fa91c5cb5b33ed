import Foundation
import XCTest
@testable import LatheCore

/// `lathe eval` with several `--data` sets: the first set's numbers at the top level,
/// every set's under `sets`, and the set that loses most under `worst`.
final class EvalSetsTests: XCTestCase {
    let model = Samples.path("mobilenet", "model.onnx")
    let clean = Samples.path("mobilenet", "data.npz")
    let shifted = Samples.path("mobilenet", "data_shifted.npz")

    func testEverySetIsReportedAndTheWorstIsTheLargestDrop() throws {
        let scratch = try ScratchDirectory()
        let config = scratch.path("bits3.yaml")
        try "version: 1\ndefaults:\n  bits: 3\n".write(toFile: config, atomically: true, encoding: .utf8)
        let sets = ["--data", "clean=\(clean)", "--data", shifted]
        let single = try parseJSON(LatheBinary.run(["eval", model, "--data", clean, "--config", config, "--json"]))
        let both = try parseJSON(LatheBinary.run(["eval", model] + sets + ["--config", config, "--json"]))
        let baseline = try parseJSON(LatheBinary.run(["eval", model] + sets + ["--json"]))

        // The top level is the first set, as if it had been given alone.
        XCTAssertEqual(both["top1"] as? Double, single["top1"] as? Double)
        XCTAssertEqual(both["data"] as? String, clean)
        let perSet = try XCTUnwrap(both["sets"] as? [String: [String: Any]])
        XCTAssertEqual(Set(perSet.keys), ["clean", "data_shifted"])  // a bare FILE is named after its stem
        XCTAssertEqual(perSet["clean"]?["top1"] as? Double, single["top1"] as? Double)
        XCTAssertEqual(perSet["data_shifted"]?["data"] as? String, shifted)
        XCTAssertEqual(perSet["data_shifted"]?["samples"] as? Int, 2000)

        // The worst set is the one whose top-1 drops most from the uncompressed model's on it.
        let fp32 = try XCTUnwrap(baseline["sets"] as? [String: [String: Any]])
        var drops: [String: Double] = [:]
        for name in perSet.keys {
            drops[name] = try XCTUnwrap(fp32[name]?["top1"] as? Double) - XCTUnwrap(perSet[name]?["top1"] as? Double)
        }
        let expected = try XCTUnwrap(drops.max { $0.value < $1.value }?.key)
        XCTAssertEqual(both["worst"] as? String, expected, "drops \(drops)")
        XCTAssertNotEqual(drops["clean"], drops["data_shifted"])
        XCTAssertNil(single["sets"], "one set: no per-set keys")
    }

    func testSetNamesAreUniqueAndOutputsNeedOneSet() throws {
        assertBadInput(try LatheBinary.run(["eval", model, "--data", "a=\(clean)", "--data", "a=\(shifted)"]),
                       mentions: ["two sets are named 'a'"])
        let scratch = try ScratchDirectory()
        let run = try LatheBinary.run(["eval", model, "--data", clean, "--data", shifted,
                                       "--save-outputs", scratch.path("out.npy")])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("--save-outputs takes one evaluation set"), run.stderr)
    }
}
