import Foundation
import LatheCore
import XCTest

/// Shared helpers for the end-to-end tests of the `lathe` executable.
enum Samples {
    static func path(_ name: String, _ file: String) -> String { "samples/\(name)/\(file)" }

    static func absolute(_ relative: String) -> String {
        LatheBinary.repoRoot.appendingPathComponent(relative).path
    }

    /// numpy's `argmax(axis=1)` of `[N, C]` scores (lowest index on ties), written
    /// out here so expectations do not lean on the code under test.
    static func argmax(_ t: Tensor) -> [Int] {
        let n = t.shape[0]
        let c = t.count / max(n, 1)
        let v = t.asFloats
        return (0..<n).map { row in
            var best = 0
            for j in 1..<c where v[row * c + j] > v[row * c + best] { best = j }
            return best
        }
    }
}

/// A scratch directory removed when the test ends.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("lathe-cli-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let p = path(name)
        try data.write(to: URL(fileURLWithPath: p))
        return p
    }
}

extension XCTestCase {
    /// Asserts the bad-input contract: exit 2, nothing on stdout, stderr starting
    /// with `error:` and mentioning each of `mentions` (the file, the problem).
    func assertBadInput(_ run: LatheRun, mentions: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.status, 2, "stderr: \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.hasPrefix("error:"), "stderr: \(run.stderr)", file: file, line: line)
        XCTAssertFalse(run.stderr.hasPrefix("error: internal"), "stderr: \(run.stderr)", file: file, line: line)
        for text in mentions {
            XCTAssertTrue(run.stderr.contains(text), "stderr lacks '\(text)': \(run.stderr)", file: file, line: line)
        }
        XCTAssertFalse(run.stderr.contains("Fatal error"), run.stderr, file: file, line: line)
    }

    func parseJSON(_ run: LatheRun, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        XCTAssertEqual(run.status, 0, "stderr: \(run.stderr)", file: file, line: line)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
        return try XCTUnwrap(object as? [String: Any], "not a JSON object: \(run.stdout)", file: file, line: line)
    }
}
