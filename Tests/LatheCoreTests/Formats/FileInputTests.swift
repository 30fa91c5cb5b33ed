import Foundation
import XCTest
@testable import LatheCore

/// `FileInput.contents`: a regular file is mapped, read-only as far as the file is concerned; what cannot be
/// mapped is read; every failure names the file.
final class FileInputTests: XCTestCase {
    private func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "lathe-fileinput-\(UUID().uuidString).bin"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testMappedContentsAreTheFilesBytesAndWritingThemLeavesTheFile() throws {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let path = try temporaryFile(bytes)
        var contents = try FileInput.contents(of: path)
        XCTAssertEqual(Array(contents), bytes)
        contents[0] = 255
        contents[99_999] = 7
        XCTAssertEqual(contents.first, 255)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), bytes)
    }

    func testASliceOutlivesItsWholeAndTheFilesRemoval() throws {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0) }
        let path = try temporaryFile(bytes)
        let slice = try FileInput.contents(of: path)[100..<200]
        try FileManager.default.removeItem(atPath: path)
        XCTAssertEqual(Array(slice), Array(bytes[100..<200]))
    }

    func testWhatCannotBeMappedIsReadOrRefused() throws {
        // A character device is not mapped; reading it fails (Foundation) or finds it empty: either way, named.
        XCTAssertThrowsError(try FileInput.contents(of: "/dev/null")) { error in
            XCTAssertTrue("\(error)".contains("/dev/null"), "\(error)")
        }
        let empty = try temporaryFile([])
        XCTAssertThrowsError(try FileInput.contents(of: empty)) { error in
            XCTAssertTrue("\(error)".contains(empty) && "\(error)".contains("empty"), "\(error)")
        }
        XCTAssertThrowsError(try FileInput.contents(of: NSTemporaryDirectory())) { error in
            XCTAssertTrue("\(error)".contains("folder"), "\(error)")
        }
        XCTAssertThrowsError(try FileInput.contents(of: "/nonexistent/lathe.npz")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/lathe.npz") && "\(error)".contains("no such file"),
                          "\(error)")
        }
    }
}
