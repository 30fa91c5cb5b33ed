import LatheCore
import XCTest

/// Help, usage errors and exit codes of `lathe` itself (no model needed).
final class UsageTests: XCTestCase {
    func testHelpExitsZero() throws {
        for arguments in [["--help"], ["eval", "--help"], ["inspect", "-h"], ["help", "eval"]] {
            let run = try LatheBinary.run(arguments)
            XCTAssertEqual(run.status, 0, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stdout.contains("USAGE:"), "\(arguments): \(run.stdout)")
        }
        let eval = try LatheBinary.run(["eval", "--help"])
        for flag in ["--data", "--output", "--batch", "--threads", "--save-outputs", "--json"] {
            XCTAssertTrue(eval.stdout.contains(flag), "eval help lacks \(flag)")
        }
    }

    /// `--version` prints the version exported files record, and nothing else.
    func testVersionPrintsTheRecordedVersion() throws {
        let run = try LatheBinary.run(["--version"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines), LatheVersion.string)
        XCTAssertTrue(LatheVersion.string.split(separator: ".").count == 3
                      && LatheVersion.string.split(separator: ".").allSatisfy { Int($0) != nil }, LatheVersion.string)
    }

    /// Bare `lathe` opens the explorer on the bundled sample; with no terminal
    /// (as here) it must refuse clearly and point to the plain commands.
    func testBareLatheWithoutTerminalPointsToCommands() throws {
        let run = try LatheBinary.run([])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("error:"), run.stderr)
        XCTAssertTrue(run.stderr.contains("terminal"), run.stderr)
        XCTAssertTrue(run.stderr.contains("lathe eval"), run.stderr)
        XCTAssertTrue(run.stderr.contains("lathe inspect"), run.stderr)
    }

    func testHelpListsCommands() throws {
        let run = try LatheBinary.run(["--help"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("eval"))
        XCTAssertTrue(run.stdout.contains("inspect"))
    }

    func testUsageErrorsExitTwoWithErrorPrefix() throws {
        let model = Samples.path("lenet5", "model.onnx")
        let data = Samples.path("lenet5", "data.npz")
        let cases: [([String], String)] = [
            (["eval"], "<model>"),
            (["eval", model], "--data"),
            (["eval", model, "--data", data, "--bogus"], "--bogus"),
            (["eval", model, "--data", data, "--batch", "0"], "--batch"),
            (["eval", model, "--data", data, "--batch", "-3"], "--batch"),
            (["eval", model, "--data", data, "--batch", "many"], "many"),
            (["eval", model, "--data", data, "--threads", "0"], "--threads"),
            (["inspect", model, "--bins", "0"], "--bins"),
            (["frobnicate"], "frobnicate"),
        ]
        for (arguments, mention) in cases {
            let run = try LatheBinary.run(arguments)
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.hasPrefix("error:"), "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(mention), "\(arguments) should mention \(mention): \(run.stderr)")
            XCTAssertEqual(run.stdout, "", "\(arguments)")
        }
    }
}
