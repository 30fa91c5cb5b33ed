import Foundation
import XCTest
@testable import LatheCore

/// Locations of the committed fixtures (made by Fixtures/formats/make_fixtures.py) and helpers the
/// Formats tests share.
enum FormatsFixtures {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/formats")

    static func path(_ relative: String) -> String { folder.appendingPathComponent(relative).path }

    static var repositoryRoot: URL {
        folder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// A Python with numpy, onnx and onnxruntime for the cross-checks of written files: $LATHE_PYTHON,
    /// the Makefile's .venv, or the development virtualenv. nil when none is usable.
    static let python: String? = {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["LATHE_PYTHON"] { candidates.append(configured) }
        candidates.append(repositoryRoot.appendingPathComponent(".venv/bin/python").path)
        candidates.append("/tmp/pyvenv/bin/python")
        return candidates.first { candidate in
            FileManager.default.isExecutableFile(atPath: candidate)
                && (try? runProcess(candidate, ["-c", "import numpy, onnx, onnxruntime"]).status) == 0
        }
    }()

    /// Runs check_written.py; fails the test with its output unless it reports a match.
    static func checkWithPython(_ kind: String, written: String, expected: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        guard let python else { throw XCTSkip("no Python with numpy, onnx and onnxruntime for the cross-check") }
        let result = try runProcess(python, [path("check_written.py"), kind, written, expected])
        XCTAssertEqual(result.status, 0, "check_written.py \(kind): \(result.output)", file: file, line: line)
    }

    static func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

/// A fresh folder for files a test writes, removed when the test ends.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-formats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ bytes: Data, to name: String) throws -> String {
        let target = path(name)
        try bytes.write(to: URL(fileURLWithPath: target))
        return target
    }

    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }
}

/// Asserts that `body` throws `LatheError.badInput` whose message starts with `file` and contains `fragment`.
func assertBadInput<T>(_ body: @autoclosure () throws -> T, file path: String, mentions fragment: String,
                       file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an error mentioning '\(fragment)'", file: file, line: line)
    } catch let error as LatheError {
        XCTAssertEqual(error.kind, .badInput, "\(error)", file: file, line: line)
        XCTAssertTrue(error.message.hasPrefix(path + ": "), "message does not name \(path): \(error)", file: file, line: line)
        XCTAssertTrue(error.message.contains(fragment), "'\(error)' does not mention '\(fragment)'", file: file, line: line)
    } catch {
        XCTFail("expected LatheError, got \(error)", file: file, line: line)
    }
}

/// Exact equality of float arrays, distinguishing -0 from +0 (bit patterns; NaNs compared as NaN).
func assertSameFloats(_ actual: [Float], _ expected: [Float], _ message: String = "",
                      file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "count \(message)", file: file, line: line)
    for (index, (a, e)) in zip(actual, expected).enumerated() where !(a.isNaN && e.isNaN) && a.bitPattern != e.bitPattern {
        XCTFail("\(message) element \(index): \(a) != \(e)", file: file, line: line)
        return
    }
}
