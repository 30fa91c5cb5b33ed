import Foundation
import XCTest
@testable import LatheCore

/// Float32 and uint8 dataset arrays are kept as stored and decoded a batch at a time
/// (`RawElements`): in the file for an `.npy` file or a stored `.npz` member, in memory as
/// inflated for a deflated one; other dtypes are decoded at load. The batches are those of the
/// decoded arrays. Checked on the stateful sample (float32 x [500, 32, 20] and a shared state
/// [1, 24]; int64 labels) and LeNet-5's (uint8 images [2000, 1, 28, 28]).
final class RawElementsTests: XCTestCase {
    private let folder = try? TemporaryFolder()

    /// The sample's arrays written again as `np.savez` would (stored, not deflated).
    private func storedCopy(of data: Dataset, named name: String) throws -> String {
        let folder = try XCTUnwrap(folder)
        let path = folder.path(name)
        var arrays = try data.arrays.map { (name: $0.name, tensor: try $0.tensor) }
        if let labels = data.labelArray { arrays.append((name: "y", tensor: labels)) }
        try NPZFormat.write(arrays, to: path, compressed: false)
        return path
    }

    /// The same set with every array decoded, as Lathe held it before.
    private func decoded(_ data: Dataset) throws -> Dataset {
        var copy = data
        copy.arrays = try data.arrays.map { DataArray(name: $0.name, tensor: try $0.tensor) }
        return copy
    }

    private func assertSameBatches(_ a: Dataset, _ b: Dataset, session: InferenceSession, samples: Int,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        let first = try FeedData(a, feeds: session.feeds), second = try FeedData(b, feeds: session.feeds)
        // In order (one read), out of order and repeated (a fixed batch filled up), and the last sample.
        for rows in [Array(0..<64), [samples - 1, 3, 4, 5, 9, 9], [samples - 1]] {
            XCTAssertEqual(try first.inputs(samples: rows), try second.inputs(samples: rows), "\(rows)",
                           file: file, line: line)
        }
        XCTAssertEqual(try session.run(first.inputs(samples: Array(100..<132))).output,
                       try session.run(second.inputs(samples: Array(100..<132))).output, file: file, line: line)
    }

    func testFloat32ArraysStayAsStoredAndFeedTheBatchesOfTheDecodedOnes() throws {
        let (session, deflated) = try LiveFixtures.sample("stateful")
        XCTAssertEqual(deflated.arrays.map(\.isRaw), [true, true], "deflated: kept as inflated")
        XCTAssertEqual(deflated.arrays.map(\.isInFile), [false, false])
        let stored = try Dataset.load(path: try storedCopy(of: deflated, named: "stored.npz"))
        XCTAssertEqual(stored.arrays.map(\.name), ["x", "state"])
        XCTAssertEqual(stored.arrays.map(\.isInFile), [true, true])
        XCTAssertEqual(stored.arrays.map(\.shape), deflated.arrays.map(\.shape))
        XCTAssertEqual(stored.labels, deflated.labels)
        let reference = try decoded(deflated)
        for (a, b) in zip(stored.arrays, reference.arrays) { XCTAssertEqual(try a.tensor, try b.tensor, a.name) }
        let feeds = try FeedData(stored, feeds: session.feeds)
        XCTAssertTrue(feeds.sources.contains { if case .raw = $0 { return true } else { return false } })
        try assertSameBatches(stored, reference, session: session, samples: 500)
        try assertSameBatches(deflated, reference, session: session, samples: 500)
    }

    func testUInt8ImagesStayAsStoredAndAreWidenedBatchByBatch() throws {
        let (session, deflated) = try LiveFixtures.sample("lenet5")
        XCTAssertEqual(deflated.arrays.map(\.dtype), [.uint8])
        XCTAssertEqual(deflated.arrays.map(\.isRaw), [true])
        let reference = try decoded(deflated)
        XCTAssertEqual(try reference.arrays[0].tensor.ints.max(), 255)
        let stored = try Dataset.load(path: try storedCopy(of: deflated, named: "images.npz"))
        XCTAssertEqual(stored.arrays.map(\.isInFile), [true])
        XCTAssertEqual(try stored.arrays[0].tensor, try reference.arrays[0].tensor)
        try assertSameBatches(stored, reference, session: session, samples: 2000)
        try assertSameBatches(deflated, reference, session: session, samples: 2000)
        // And independently of Lathe's decoding: onnxruntime's outputs on the same images.
        let expected = try NPYFormat.read(path: LiveFixtures.samplePath("lenet5", "reference.npy"))
        let outputs = try session.run(try FeedData(stored, feeds: session.feeds).inputs(samples: Array(0..<64))).output
        XCTAssertEqual(outputs.shape, [64, 10])
        let scale = expected.floats[0..<640].map(abs).max() ?? 1
        let worst = zip(outputs.floats, expected.floats[0..<640]).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst / scale, 1e-4)
    }

    func testAnNPYFileStaysInTheFileAndOtherDtypesAreDecoded() throws {
        let (_, original) = try LiveFixtures.sample("stateful")
        let folder = try XCTUnwrap(folder)
        let x = try XCTUnwrap(original.array(named: "x"))
        let npy = folder.path("x.npy")
        try NPYFormat.write(x, to: npy)
        let loaded = try Dataset.load(path: npy)
        XCTAssertEqual(loaded.arrays.map(\.isInFile), [true])
        XCTAssertEqual(try loaded.array(named: "x"), x)
        let tokens = folder.path("tokens.npy")
        try NPYFormat.write(Tensor(shape: [3, 2], ints: [1, 2, 3, 4, 5, 6]), to: tokens)
        XCTAssertEqual(try Dataset.load(path: tokens).arrays.map(\.isRaw), [false], "int64: decoded")
    }

    /// A data file rewritten while Lathe runs (np.savez truncates it first) gives an error naming it,
    /// not a crash and not stale or zero values.
    func testAFileTruncatedAfterLoadingIsReportedByTheBatchThatReadsPastItsEnd() throws {
        let (session, original) = try LiveFixtures.sample("stateful")
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
