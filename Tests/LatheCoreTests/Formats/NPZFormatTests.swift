import Foundation
import XCTest
import ZIPFoundation
@testable import LatheCore

final class NPZFormatTests: XCTestCase {
    private let numpyOrder = ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "b1"]

    func testReadsSavezAndSavezCompressed() throws {
        for file in ["npy/all_dtypes.npz", "npy/all_dtypes_compressed.npz"] {
            let arrays = try NPZFormat.read(path: FormatsFixtures.path(file))
            XCTAssertEqual(arrays.map(\.name), numpyOrder, file)
            for (name, tensor) in arrays {
                let expected = DTypeFixtures.expected(name)
                XCTAssertEqual(tensor.dtype, expected.dtype, "\(file) \(name)")
                XCTAssertEqual(tensor.shape, [2, 3])
                XCTAssertEqual(tensor.ints, expected.ints, "\(file) \(name)")
                assertSameFloats(tensor.floats, expected.floats, "\(file) \(name)")
            }
        }
    }

    func testWriteThenReadStoredAndCompressed() throws {
        let folder = try TemporaryFolder()
        let arrays = numpyOrder.map { (name: $0, tensor: DTypeFixtures.expected($0)) }
        // Compressible data shows deflate is really used.
        let zeros = (name: "zeros", tensor: Tensor.zeros([64, 64]))
        for compressed in [false, true] {
            let path = folder.path(compressed ? "compressed.npz" : "stored.npz")
            try NPZFormat.write(arrays + [zeros], to: path, compressed: compressed)
            let back = try NPZFormat.read(path: path)
            XCTAssertEqual(back.map(\.name), numpyOrder + ["zeros"])
            for (written, read) in zip(arrays + [zeros], back) {
                XCTAssertEqual(read.tensor, written.tensor, written.name)
            }
        }
        let stored = try FileManager.default.attributesOfItem(atPath: folder.path("stored.npz"))[.size] as? Int ?? 0
        let deflated = try FileManager.default.attributesOfItem(atPath: folder.path("compressed.npz"))[.size] as? Int ?? 0
        XCTAssertGreaterThan(stored, 64 * 64 * 4)
        XCTAssertLessThan(deflated, stored / 4)
        XCTAssertEqual(try folder.contents(), ["compressed.npz", "stored.npz"])
    }

    func testWrittenArchivesLoadInNumpy() throws {
        let folder = try TemporaryFolder()
        let arrays = try NPZFormat.read(path: FormatsFixtures.path("npy/all_dtypes.npz"))
            .map { $0.name == "u8" ? (name: $0.name, tensor: Tensor(shape: [2, 3], ints: [0, 1, 2, 42, 7, 8], dtype: .uint64)) : $0 }
        // u8's top values saturate on reading, so compare against an archive without them.
        let expected = folder.path("expected.npz")
        try FormatsFixtures.runPythonSavingExpected(arrays: arrays, to: expected)
        for compressed in [false, true] {
            let path = folder.path("written-\(compressed).npz")
            try NPZFormat.write(arrays, to: path, compressed: compressed)
            try FormatsFixtures.checkWithPython("npz", written: path, expected: expected)
        }
    }

    func testMalformedArchivesAreClearErrors() throws {
        let folder = try TemporaryFolder()
        let missing = folder.path("missing.npz")
        assertBadInput(try NPZFormat.read(path: missing), file: missing, mentions: "no such file")
        let text = try folder.write(Data("not a zip file at all".utf8), to: "text.npz")
        assertBadInput(try NPZFormat.read(path: text), file: text, mentions: "not an NPZ archive")

        let valid = try Data(contentsOf: URL(fileURLWithPath: FormatsFixtures.path("npy/all_dtypes_compressed.npz")))
        let truncated = try folder.write(valid.prefix(valid.count / 2), to: "truncated.npz")
        assertBadInput(try NPZFormat.read(path: truncated), file: truncated, mentions: "not an NPZ archive")

        // A ZIP whose member is not an NPY array.
        let foreign = folder.path("foreign.npz")
        let archive = try Archive(url: URL(fileURLWithPath: foreign), accessMode: .create)
        let note = Data("hello".utf8)
        try archive.addEntry(with: "notes.txt", type: .file, uncompressedSize: Int64(note.count)) { position, size in
            note.subdata(in: Int(position)..<Int(position) + size)
        }
        assertBadInput(try NPZFormat.read(path: foreign), file: foreign, mentions: "array 'notes.txt': not an NPY array")

        // Corrupted compressed bytes: a data error, not a crash.
        var corrupted = valid
        for offset in stride(from: 60, to: 400, by: 7) { corrupted[offset] ^= 0x5A }
        let bad = try folder.write(corrupted, to: "corrupted.npz")
        do {
            _ = try NPZFormat.read(path: bad)
        } catch let error as LatheError {
            XCTAssertEqual(error.kind, .badInput)
            XCTAssertTrue(error.message.hasPrefix(bad), error.message)
        }
    }

    func testDuplicateNamesAreRefused() throws {
        let folder = try TemporaryFolder()
        XCTAssertThrowsError(try NPZFormat.write([(name: "x", tensor: .scalar(1)), (name: "x", tensor: .scalar(2))],
                                                 to: folder.path("dup.npz")))
        XCTAssertEqual(try folder.contents(), [])
    }
}

extension FormatsFixtures {
    /// Writes `arrays` with numpy's own np.savez (the independent reference for check_written.py).
    static func runPythonSavingExpected(arrays: [(name: String, tensor: Tensor)], to path: String) throws {
        guard let python else { throw XCTSkip("no Python with numpy for the cross-check") }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        var statements = ["import numpy as np", "arrays = {}"]
        for (name, tensor) in arrays {
            let values = tensor.isFloat ? tensor.floats.map { "float('\($0)')" } : tensor.ints.map(String.init)
            statements.append("arrays['\(name)'] = np.array([\(values.joined(separator: ", "))], "
                + "dtype=np.dtype('\(NPYHeader.descriptor(for: tensor.dtype))')).reshape(\(tensor.shape))")
        }
        statements.append("np.savez(r'\(path)', **arrays)")
        let script = folder.appendingPathComponent("make_expected.py")
        try statements.joined(separator: "\n").write(to: script, atomically: true, encoding: .utf8)
        let result = try runProcess(python, [script.path])
        XCTAssertEqual(result.status, 0, result.output)
    }

    /// A member's declared size is checked before inflating: more than deflate can produce from its
    /// compressed bytes (1032:1) is refused, and so is inflating past what it declared.
    func testMembersClaimingMoreThanTheyHoldAreRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("zeros.npz")
        try NPZFormat.write([(name: "x", tensor: Tensor.zeros([64, 64]))], to: path, compressed: true)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(try NPZFormat.read(path: path).first?.tensor.shape, [64, 64])
        /// The archive with the uncompressed size in the local header and central directory set to `size`.
        func declaring(_ size: UInt32) -> Data {
            var bytes = [UInt8](good)
            for i in 0..<(bytes.count - 4) where bytes[i] == 0x50 && bytes[i + 1] == 0x4B {
                let offset: Int? = bytes[i + 2] == 3 && bytes[i + 3] == 4 ? 22 : bytes[i + 2] == 1 && bytes[i + 3] == 2 ? 24 : nil
                guard let offset else { continue }
                for k in 0..<4 { bytes[i + offset + k] = UInt8(truncatingIfNeeded: size >> (8 * UInt32(k))) }
            }
            return Data(bytes)
        }
        let claims = folder.path("claims.npz")
        try declaring(3_000_000_000).write(to: URL(fileURLWithPath: claims))
        assertBadInput(try NPZFormat.read(path: claims), file: claims, mentions: "compressed bytes can hold")
        let short = folder.path("short.npz")
        try declaring(1000).write(to: URL(fileURLWithPath: short))
        assertBadInput(try NPZFormat.read(path: short), file: short, mentions: "inflates past the 1000 bytes")
    }
}
