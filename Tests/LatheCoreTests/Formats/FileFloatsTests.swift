import Foundation
import XCTest
@testable import LatheCore

/// Float32 arrays of an `.npy` file or a stored `.npz` member stay in the file and are read a
/// batch at a time (`FileFloats`); everything else is decoded at load. Checked on the stateful
/// sample (x [500, 32, 20] and a shared state [1, 24], both float32; int64 labels).
final class FileFloatsTests: XCTestCase {
    private let folder = try? TemporaryFolder()

    private func sample() throws -> (session: InferenceSession, data: Dataset) {
        try LiveFixtures.sample("stateful")
    }

    /// The sample's arrays written again as `np.savez` would (stored, not deflated).
    private func storedCopy(of data: Dataset, named name: String = "stored.npz") throws -> String {
        let folder = try XCTUnwrap(folder)
        let path = folder.path(name)
        var arrays = try data.arrays.map { (name: $0.name, tensor: try $0.tensor) }
        if let labels = data.labelArray { arrays.append((name: "y", tensor: labels)) }
        try NPZFormat.write(arrays, to: path, compressed: false)
        return path
    }

    func testStoredFloat32ArraysStayInTheFileAndFeedTheSameBatches() throws {
        let (session, original) = try sample()
        XCTAssertFalse(original.arrays.contains(where: \.isInFile), "the sample's archive is deflated: decoded")
        let stored = try Dataset.load(path: try storedCopy(of: original))
        XCTAssertEqual(stored.arrays.map(\.name), ["x", "state"])
        XCTAssertEqual(stored.arrays.map(\.isInFile), [true, true])
        XCTAssertEqual(stored.arrays.map(\.shape), original.arrays.map(\.shape))
        XCTAssertEqual(stored.labels, original.labels)
        for (a, b) in zip(stored.arrays, original.arrays) { XCTAssertEqual(try a.tensor, try b.tensor, a.name) }

        let fromFile = try FeedData(stored, feeds: session.feeds)
        let decoded = try FeedData(original, feeds: session.feeds)
        XCTAssertTrue(fromFile.sources.contains { if case .file = $0 { return true } else { return false } })
        // In order (one read), out of order and repeated (a fixed batch filled up), and the last sample.
        for samples in [Array(0..<64), [499, 3, 4, 5, 9, 9], [499]] {
            XCTAssertEqual(try fromFile.inputs(samples: samples), try decoded.inputs(samples: samples), "\(samples)")
        }
        XCTAssertEqual(try session.run(fromFile.inputs(samples: Array(100..<132))).output,
                       try session.run(decoded.inputs(samples: Array(100..<132))).output)
    }

    func testAnNPYFileStaysInTheFileAndDeflatedArraysAreDecoded() throws {
        let (_, original) = try sample()
        let folder = try XCTUnwrap(folder)
        let x = try XCTUnwrap(original.array(named: "x"))
        let npy = folder.path("x.npy")
        try NPYFormat.write(x, to: npy)
        let loaded = try Dataset.load(path: npy)
        XCTAssertEqual(loaded.arrays.map(\.isInFile), [true])
        XCTAssertEqual(try loaded.array(named: "x"), x)

        let deflated = folder.path("deflated.npz")
        try NPZFormat.write([(name: "x", tensor: x)], to: deflated, compressed: true)
        XCTAssertEqual(try Dataset.load(path: deflated).arrays.map(\.isInFile), [false])
    }

    /// A data file rewritten while Lathe runs (np.savez truncates it first) gives an error naming it,
    /// not a crash and not stale or zero values.
    func testAFileTruncatedAfterLoadingIsReportedByTheBatchThatReadsPastItsEnd() throws {
        let (session, original) = try sample()
        let path = try storedCopy(of: original, named: "shrinking.npz")
        let feeds = try FeedData(try Dataset.load(path: path), feeds: session.feeds)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 4096)
        try handle.close()
        XCTAssertThrowsError(try feeds.inputs(samples: [450, 451])) { error in
            let message = (error as? LatheError)?.message ?? "\(error)"
            XCTAssertEqual((error as? LatheError)?.kind, .badInput)
            XCTAssertTrue(message.hasPrefix(path + ": changed while Lathe was reading it"), message)
        }
    }
}
