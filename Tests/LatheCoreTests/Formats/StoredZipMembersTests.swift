import Foundation
import XCTest
import ZIPFoundation
@testable import LatheCore

/// The locator `NPZFormat.read` uses to decode stored members in place: its ranges must hold
/// exactly what ZIPFoundation extracts, on numpy's own archives and on a ZIP64 directory.
final class StoredZipMembersTests: XCTestCase {
    func testLocatesEveryArrayOfNumpysSavezAsZIPFoundationExtractsIt() throws {
        let path = FormatsFixtures.path("npy/all_dtypes.npz")
        let file = try Data(contentsOf: URL(fileURLWithPath: path))
        let located = try XCTUnwrap(StoredZipMembers.locate(in: file))
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        var extracted = 0
        for entry in archive {
            var bytes = Data()
            _ = try archive.extract(entry, skipCRC32: true) { bytes.append($0) }
            let range = try XCTUnwrap(located[entry.path], entry.path)
            XCTAssertEqual(file[range], bytes, entry.path)
            extracted += 1
        }
        XCTAssertEqual(extracted, 12)
        XCTAssertEqual(located.count, 12)
    }

    func testDeflatedMembersAreLeftToExtraction() throws {
        let file = try Data(contentsOf: URL(fileURLWithPath: FormatsFixtures.path("npy/all_dtypes_compressed.npz")))
        XCTAssertEqual(StoredZipMembers.locate(in: file), [:])
    }

    func testZip64DirectoryAndSizesAreRead() throws {
        let tensor = Tensor(shape: [2, 3], floats: [1, -2, 3.5, 0, 7, -0.25])
        let (archive, payload) = try Self.zip64Archive(name: "x.npy", payload: try NPYFormat.encode(tensor))
        let located = try XCTUnwrap(StoredZipMembers.locate(in: archive))
        let range = try XCTUnwrap(located["x.npy"])
        XCTAssertEqual(archive[range], payload)

        // NPZFormat reads it through the located range (ZIPFoundation agrees on name and size).
        let folder = try TemporaryFolder()
        let path = try folder.write(archive, to: "zip64.npz")
        let arrays = try NPZFormat.read(path: path)
        XCTAssertEqual(arrays.map(\.name), ["x"])
        XCTAssertEqual(arrays.first?.tensor, tensor)
    }

    func testDamagedDirectoriesLocateNothing() throws {
        let file = try Data(contentsOf: URL(fileURLWithPath: FormatsFixtures.path("npy/all_dtypes.npz")))
        XCTAssertNil(StoredZipMembers.locate(in: file.prefix(file.count - 10)), "no end record")
        XCTAssertNil(StoredZipMembers.locate(in: Data()))
        // The first local header's signature broken: the directory points at something else.
        var broken = file
        broken[0] ^= 0xFF
        XCTAssertNil(StoredZipMembers.locate(in: broken))
        // A directory larger than the file.
        let (archive, _) = try Self.zip64Archive(name: "x.npy", payload: Data(repeating: 7, count: 100))
        var oversized = archive
        let sizeField = 8 + 30 + 5 + 4 + 8  // preamble, local header, name, extra header, uncompressed size
        oversized.replaceSubrange(sizeField..<(sizeField + 8), with: Self.bytes(UInt64(1) << 40, 8))
        let directory = try XCTUnwrap(Self.find(0x0201_4b50, in: oversized))
        let directorySize = directory + 46 + 5 + 4 + 8
        oversized.replaceSubrange(directorySize..<(directorySize + 8), with: Self.bytes(UInt64(1) << 40, 8))
        XCTAssertNil(StoredZipMembers.locate(in: oversized))
    }

    // MARK: a ZIP64 archive, written by hand

    /// One stored member, every size and offset in ZIP64 fields (as a 4 GB+ archive has them),
    /// after a preamble (as a self-extracting archive has; ZIPFoundation takes a ZIP64 offset of 0
    /// for "none").
    static func zip64Archive(name: String, payload: Data) throws -> (archive: Data, payload: Data) {
        let nameBytes = Data(name.utf8)
        let crc = payload.crc32(checksum: 0)
        let size = UInt64(payload.count)
        let preamble = Data("preamble".utf8)
        var out = preamble
        // Local header with a ZIP64 extra field (uncompressed, compressed).
        out += bytes(0x0403_4b50, 4) + bytes(45, 2) + bytes(0, 2) + bytes(0, 2) + bytes(0, 2) + bytes(0x21, 2)
        out += bytes(UInt64(crc), 4) + bytes(0xFFFF_FFFF, 4) + bytes(0xFFFF_FFFF, 4)
        out += bytes(UInt64(nameBytes.count), 2) + bytes(20, 2) + nameBytes
        out += bytes(1, 2) + bytes(16, 2) + bytes(size, 8) + bytes(size, 8)
        out += payload
        // Central directory entry: sizes and the local header's offset in its ZIP64 field.
        let directoryStart = UInt64(out.count)
        out += bytes(0x0201_4b50, 4) + bytes(45, 2) + bytes(45, 2) + bytes(0, 2) + bytes(0, 2) + bytes(0, 2)
        out += bytes(0x21, 2) + bytes(UInt64(crc), 4) + bytes(0xFFFF_FFFF, 4) + bytes(0xFFFF_FFFF, 4)
        out += bytes(UInt64(nameBytes.count), 2) + bytes(28, 2) + bytes(0, 2) + bytes(0, 2) + bytes(0, 2)
        out += bytes(0, 4) + bytes(0xFFFF_FFFF, 4) + nameBytes
        out += bytes(1, 2) + bytes(24, 2) + bytes(size, 8) + bytes(size, 8) + bytes(UInt64(preamble.count), 8)
        let directorySize = UInt64(out.count) - directoryStart
        // ZIP64 end record, its locator, and the classic end record saturated.
        let zip64End = UInt64(out.count)
        out += bytes(0x0606_4b50, 4) + bytes(44, 8) + bytes(45, 2) + bytes(45, 2) + bytes(0, 4) + bytes(0, 4)
        out += bytes(1, 8) + bytes(1, 8) + bytes(directorySize, 8) + bytes(directoryStart, 8)
        out += bytes(0x0706_4b50, 4) + bytes(0, 4) + bytes(zip64End, 8) + bytes(1, 4)
        out += bytes(0x0605_4b50, 4) + bytes(0, 2) + bytes(0, 2) + bytes(0xFFFF, 2) + bytes(0xFFFF, 2)
        out += bytes(0xFFFF_FFFF, 4) + bytes(0xFFFF_FFFF, 4) + bytes(0, 2)
        return (out, payload)
    }

    static func bytes(_ value: UInt64, _ count: Int) -> Data {
        Data((0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) })
    }

    static func find(_ signature: UInt32, in data: Data) -> Int? {
        let pattern = bytes(UInt64(signature), 4)
        return data.range(of: pattern).map { $0.lowerBound }
    }
}
