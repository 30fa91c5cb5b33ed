import Foundation
import LatheCore
import XCTest

/// `--labels NAME` and a model whose input is named `y` (Tests/LatheCoreTests/Fixtures/formats:
/// input_named_y.onnx reads `y` [N, 4]; input_named_y.npz holds `y` and the classes under `labels`).
final class LabelsOptionTests: XCTestCase {
    let model = "Tests/LatheCoreTests/Fixtures/formats/onnx/input_named_y.onnx"
    let data = "Tests/LatheCoreTests/Fixtures/formats/npy/input_named_y.npz"

    func testYFeedsTheModelAndTheNoteSaysThereAreNoLabels() throws {
        let run = try LatheBinary.run(["eval", model, "--data", data, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("note: \(data): array 'y' feeds the model's input 'y', so the set has no labels "
                                          + "(name the labels array with --labels NAME)\n"), run.stderr)
        // The labels array is not read without --labels: the usual unused-array warning says so.
        XCTAssertTrue(run.stderr.contains("warning: \(data): array 'labels' matches no model input"), run.stderr)
        let json = try parseJSON(run)
        XCTAssertEqual(json["samples"] as? Int, 40)
        XCTAssertTrue(json["top1"] is NSNull, "no labels, no top-1")
    }

    func testLabelsNamesTheLabelsArray() throws {
        for command in [["eval"], ["inspect"]] {
            let run = try LatheBinary.run(command + [model, "--data", data, "--labels", "labels", "--json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertFalse(run.stderr.contains("note:"), run.stderr)
            if command == ["eval"] {
                XCTAssertEqual(try XCTUnwrap(parseJSON(run)["top1"] as? Double), 0.8, accuracy: 1e-12)
            }
        }
    }

    func testLabelsNamingNoArrayIsBadInput() throws {
        assertBadInput(try LatheBinary.run(["eval", model, "--data", data, "--labels", "classes"]),
                       mentions: [data, "has no array 'classes' for --labels; its arrays are 'y', 'labels'"])
    }
}
