import Foundation
import XCTest
@testable import LatheCore

/// The [2, 3] arrays make_fixtures.py saves for each numpy dtype code.
enum DTypeFixtures {
    static let floatValues: [Float] = [0.5, -1.25, 3.0, 1024.0, 0.125, -0.0]

    static let codes: [(code: String, dtype: DType)] = [
        ("i1", .int8), ("i2", .int16), ("i4", .int32), ("i8", .int64),
        ("u1", .uint8), ("u2", .uint16), ("u4", .uint32), ("u8", .uint64),
        ("f2", .float16), ("f4", .float32), ("f8", .float64), ("b1", .bool),
    ]

    static func expected(_ code: String) -> Tensor {
        func signed(_ min: Int64, _ max: Int64) -> [Int64] { [min, -1, 0, 1, 42, max] }
        func unsigned(_ max: Int64) -> [Int64] { [0, 1, 2, 42, max - 1, max] }
        let dtype = codes.first { $0.code == code }!.dtype
        let ints: [Int64]
        switch code {
        case "i1": ints = signed(Int64(Int8.min), Int64(Int8.max))
        case "i2": ints = signed(Int64(Int16.min), Int64(Int16.max))
        case "i4": ints = signed(Int64(Int32.min), Int64(Int32.max))
        case "i8": ints = signed(Int64.min, Int64.max)
        case "u1": ints = unsigned(Int64(UInt8.max))
        case "u2": ints = unsigned(Int64(UInt16.max))
        case "u4": ints = unsigned(Int64(UInt32.max))
        case "u8": ints = [0, 1, 2, 42, Int64.max, Int64.max] // above Int64.max saturates
        case "b1": ints = [1, 0, 1, 1, 0, 0]
        default: return Tensor(shape: [2, 3], floats: floatValues, dtype: dtype)
        }
        return Tensor(shape: [2, 3], ints: ints, dtype: dtype)
    }
}

final class NPYFormatTests: XCTestCase {
    func testReadsEveryDType() throws {
        for (code, _) in DTypeFixtures.codes {
            let tensor = try NPYFormat.read(path: FormatsFixtures.path("npy/\(code).npy"))
            let expected = DTypeFixtures.expected(code)
            XCTAssertEqual(tensor.dtype, expected.dtype, code)
            XCTAssertEqual(tensor.shape, [2, 3], code)
            XCTAssertEqual(tensor.ints, expected.ints, code)
            assertSameFloats(tensor.floats, expected.floats, code)
        }
    }

    func testBigEndianIsConverted() throws {
        let f4 = try NPYFormat.read(path: FormatsFixtures.path("npy/big_endian_f4.npy"))
        XCTAssertEqual(f4.dtype, .float32)
        assertSameFloats(f4.floats, DTypeFixtures.floatValues)
        let i8 = try NPYFormat.read(path: FormatsFixtures.path("npy/big_endian_i8.npy"))
        XCTAssertEqual(i8.ints, DTypeFixtures.expected("i8").ints)
    }

    func testHeaderVersions2And3() throws {
        for version in ["v2", "v3"] {
            let tensor = try NPYFormat.read(path: FormatsFixtures.path("npy/\(version).npy"))
            XCTAssertEqual(tensor.shape, [2, 3])
            assertSameFloats(tensor.floats, DTypeFixtures.floatValues, version)
        }
    }

    func testScalarAndEmptyArrays() throws {
        let scalar = try NPYFormat.read(path: FormatsFixtures.path("npy/scalar.npy"))
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.floats, [2.5])
        let empty = try NPYFormat.read(path: FormatsFixtures.path("npy/empty.npy"))
        XCTAssertEqual(empty.shape, [0, 3])
        XCTAssertEqual(empty.floats, [])
    }

    func testUnsupportedLayoutsAndTypesAreClearErrors() {
        let fortran = FormatsFixtures.path("npy/fortran.npy")
        assertBadInput(try NPYFormat.read(path: fortran), file: fortran, mentions: "Fortran-order")
        let complex = FormatsFixtures.path("npy/complex.npy")
        assertBadInput(try NPYFormat.read(path: complex), file: complex, mentions: "unsupported dtype '<c8'")
        let object = FormatsFixtures.path("npy/object.npy")
        assertBadInput(try NPYFormat.read(path: object), file: object, mentions: "unsupported dtype '|O'")
    }

    func testWriteThenReadKeepsEveryDType() throws {
        let folder = try TemporaryFolder()
        for (code, _) in DTypeFixtures.codes {
            let tensor = DTypeFixtures.expected(code)
            let path = folder.path("\(code).npy")
            try NPYFormat.write(tensor, to: path)
            // The file streamed from the tensor and an .npz member's bytes (encoded in memory) are one format.
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), try NPYFormat.encode(tensor), code)
            let back = try NPYFormat.read(path: path)
            XCTAssertEqual(back.dtype, tensor.dtype, code)
            XCTAssertEqual(back.shape, tensor.shape, code)
            XCTAssertEqual(back.ints, tensor.ints, code)
            assertSameFloats(back.floats, tensor.floats, code)
        }
        // numpy has no bfloat16: stored as float32, values unchanged.
        let bf16 = Tensor(shape: [3], floats: [1, -2.5, 0x1p-100], dtype: .bfloat16)
        try NPYFormat.write(bf16, to: folder.path("bf16.npy"))
        let back = try NPYFormat.read(path: folder.path("bf16.npy"))
        XCTAssertEqual(back.dtype, .float32)
        XCTAssertEqual(back.floats, bf16.floats)
        // Scalars and empty arrays.
        try NPYFormat.write(.scalar(7), to: folder.path("scalar.npy"))
        XCTAssertEqual(try NPYFormat.read(path: folder.path("scalar.npy")), .scalar(7))
        try NPYFormat.write(Tensor(shape: [0, 2], floats: []), to: folder.path("empty.npy"))
        XCTAssertEqual(try NPYFormat.read(path: folder.path("empty.npy")).shape, [0, 2])
    }

    func testWrittenHeaderMatchesNumpyLayout() throws {
        let data = try NPYFormat.encode(Tensor(shape: [2, 3], floats: DTypeFixtures.floatValues))
        XCTAssertEqual(Array(data.prefix(8)), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0, "data must start on a 64-byte boundary")
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), header)
        XCTAssertTrue(header.hasSuffix("\n"))
        XCTAssertEqual(data.count, 10 + headerLength + 24)
        // The exact bytes numpy wrote for the same array.
        let numpyBytes = try Data(contentsOf: URL(fileURLWithPath: FormatsFixtures.path("npy/f4.npy")))
        XCTAssertEqual(data, numpyBytes)
    }

    func testWrittenFilesLoadInNumpy() throws {
        let folder = try TemporaryFolder()
        for (code, _) in DTypeFixtures.codes {
            let path = folder.path("\(code).npy")
            try NPYFormat.write(DTypeFixtures.expected(code), to: path)
            if code == "u8" { continue } // saturated on reading, so it cannot round-trip to numpy's values
            try FormatsFixtures.checkWithPython("npy", written: path, expected: FormatsFixtures.path("npy/\(code).npy"))
        }
    }

    func testMalformedFilesAreClearErrors() throws {
        let folder = try TemporaryFolder()
        let valid = try NPYFormat.encode(Tensor(shape: [2, 3], floats: DTypeFixtures.floatValues))

        let missing = folder.path("missing.npy")
        assertBadInput(try NPYFormat.read(path: missing), file: missing, mentions: "no such file")
        let empty = try folder.write(Data(), to: "empty.npy")
        assertBadInput(try NPYFormat.read(path: empty), file: empty, mentions: "file is empty")
        let text = try folder.write(Data("x,y\n1,2\n".utf8), to: "text.npy")
        assertBadInput(try NPYFormat.read(path: text), file: text, mentions: "not an NPY array")
        let truncated = try folder.write(valid.prefix(valid.count - 5), to: "truncated.npy")
        assertBadInput(try NPYFormat.read(path: truncated), file: truncated, mentions: "needs 24 bytes of data, found 19")
        let cutHeader = try folder.write(valid.prefix(40), to: "cut_header.npy")
        assertBadInput(try NPYFormat.read(path: cutHeader), file: cutHeader, mentions: "truncated NPY header")
        var badVersion = valid
        badVersion[6] = 9
        let version = try folder.write(badVersion, to: "version.npy")
        assertBadInput(try NPYFormat.read(path: version), file: version, mentions: "unsupported NPY format version 9")

        func withHeader(_ dictionary: String, payload: Data = Data()) -> Data {
            let header = Array(dictionary.utf8) + [0x0A]
            var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)])
            data.append(contentsOf: header)
            data.append(payload)
            return data
        }
        let negative = try folder.write(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }"),
                                        to: "negative.npy")
        assertBadInput(try NPYFormat.read(path: negative), file: negative, mentions: "non-negative integers")
        // A shape whose byte count overflows: an error before any allocation.
        let huge = try folder.write(withHeader(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }"), to: "huge.npy")
        assertBadInput(try NPYFormat.read(path: huge), file: huge, mentions: "too large")
        // Large but representable: the length check refuses it, again without allocating.
        let large = try folder.write(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }"),
                                     to: "large.npy")
        assertBadInput(try NPYFormat.read(path: large), file: large, mentions: "needs 40000000000 bytes of data, found 0")
        let structured = try folder.write(withHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"),
                                          to: "structured.npy")
        assertBadInput(try NPYFormat.read(path: structured), file: structured, mentions: "structured dtypes")
        let garbage = try folder.write(withHeader("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }"),
                                       to: "garbage.npy")
        assertBadInput(try NPYFormat.read(path: garbage), file: garbage, mentions: "fortran_order")
        let incomplete = try folder.write(withHeader("{'descr': '<f4', 'shape': (1,), }"), to: "incomplete.npy")
        assertBadInput(try NPYFormat.read(path: incomplete), file: incomplete, mentions: "lacks")
    }

    func testWritingIsAtomicAndReportsBadFolders() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("array.npy")
        try NPYFormat.write(.scalar(1), to: path)
        try NPYFormat.write(Tensor(shape: [2], floats: [3, 4]), to: path) // replaces the old file
        XCTAssertEqual(try NPYFormat.read(path: path).floats, [3, 4])
        XCTAssertEqual(try folder.contents(), ["array.npy"], "no temporary files may be left behind")

        let nowhere = folder.path("no/such/folder/array.npy")
        assertBadInput(try NPYFormat.write(.scalar(1), to: nowhere), file: nowhere, mentions: "does not exist")
        assertBadInput(try NPYFormat.write(.scalar(1), to: folder.url.path), file: folder.url.path, mentions: "is a folder")
    }
}
