import Foundation
import XCTest
@testable import LatheCore

final class DatasetLoadingTests: XCTestCase {
    func testUInt8ImagesKeepTheirDTypeWithLabels() throws {
        let path = FormatsFixtures.path("npy/dataset_uint8.npz")
        let dataset = try Dataset.load(path: path)
        let raw = try XCTUnwrap(NPZFormat.read(path: path).first { $0.name == "x" }?.tensor)
        XCTAssertEqual(raw.dtype, .uint8)
        // Kept at the file's dtype: binding converts it to what the model input declares.
        XCTAssertEqual(dataset.arrays, [DataArray(name: "x", tensor: raw)])
        XCTAssertEqual(dataset.labels, [3, 0, 9, 1])
        XCTAssertEqual(dataset.count, 4)
        XCTAssertEqual(dataset.sampleShape, [1, 2, 2])
        XCTAssertEqual(dataset.path, path)
    }

    func testCompressedFloat64WithIntegralFloatLabels() throws {
        let dataset = try Dataset.load(path: FormatsFixtures.path("npy/dataset_compressed.npz"))
        let images = try XCTUnwrap(Dataset.load(path: FormatsFixtures.path("npy/dataset_uint8.npz")).primary).tensor
        let x = try XCTUnwrap(dataset.array(named: "x"))
        XCTAssertEqual(x.dtype, .float64)
        XCTAssertEqual(x.floats, images.ints.map { Float(Double($0) / 255.0) })
        XCTAssertEqual(dataset.labels, [3, 0, 9, 1])
    }

    func testWithoutXTheFirstArrayIsTheInput() throws {
        // np.savez(labels, images) names them arr_0 and arr_1: no 'x', so arr_0 is the input; no 'y', no labels.
        let dataset = try Dataset.load(path: FormatsFixtures.path("npy/dataset_unnamed.npz"))
        XCTAssertEqual(dataset.primary?.name, "arr_0")
        XCTAssertEqual(try dataset.primary?.tensor.shape, [4])
        XCTAssertEqual(try dataset.primary?.tensor.asFloats, [3, 0, 9, 1])
        XCTAssertNil(dataset.labels)
        XCTAssertEqual(dataset.sampleShape, [])
    }

    func testNPYIsInputsOnly() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("inputs.npy")
        try NPYFormat.write(Tensor(shape: [2, 3], ints: [1, 2, 3, 4, 5, 6], dtype: .int32), to: path)
        let dataset = try Dataset.load(path: path)
        XCTAssertEqual(dataset.arrays, [DataArray(name: "x", tensor: Tensor(shape: [2, 3], ints: [1, 2, 3, 4, 5, 6], dtype: .int32))])
        XCTAssertNil(dataset.labels)
    }

    func testXPreferredAndYOrderIrrelevant() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("data.npz")
        try NPZFormat.write([(name: "y", tensor: Tensor(shape: [2], ints: [1, 0], dtype: .uint8)),
                             (name: "other", tensor: Tensor(shape: [2], floats: [9, 9])),
                             (name: "x", tensor: Tensor(shape: [2, 2], floats: [1, 2, 3, 4], dtype: .float16))], to: path)
        let dataset = try Dataset.load(path: path)
        XCTAssertEqual(try dataset.primary?.tensor, Tensor(shape: [2, 2], floats: [1, 2, 3, 4], dtype: .float16))
        XCTAssertEqual(dataset.arrays.map(\.name), ["other", "x"])
        XCTAssertEqual(dataset.labels, [1, 0])
    }

    /// Labels of any shape are kept as stored; only 1-D integral ones are also per-sample classes.
    func testLabelsPerPositionAndFloatTargetsAreKept() throws {
        let folder = try TemporaryFolder()
        let x = Tensor(shape: [3, 2], floats: [1, 2, 3, 4, 5, 6])
        let maps = folder.path("maps.npz")
        try NPZFormat.write([("x", x), ("y", Tensor(shape: [3, 2, 2], ints: (0..<12).map { Int64($0 % 3) }))], to: maps)
        let perPixel = try Dataset.load(path: maps)
        XCTAssertNil(perPixel.labels)
        XCTAssertEqual(perPixel.labelArray?.shape, [3, 2, 2])
        let targets = folder.path("targets.npz")
        try NPZFormat.write([("x", x), ("y", Tensor(shape: [3], floats: [0.5, 1, 2]))], to: targets)
        let regression = try Dataset.load(path: targets)
        XCTAssertNil(regression.labels, "a fractional label makes y float targets")
        XCTAssertEqual(regression.labelArray?.floats, [0.5, 1, 2])
        XCTAssertEqual(try regression.prefix(2).labelArray?.floats, [0.5, 1])
    }

    func testValidationErrorsNameTheFileAndProblem() throws {
        let folder = try TemporaryFolder()
        func npz(_ name: String, _ arrays: [(name: String, tensor: Tensor)]) throws -> String {
            let path = folder.path(name)
            try NPZFormat.write(arrays, to: path)
            return path
        }
        let x = Tensor(shape: [3, 2], floats: [1, 2, 3, 4, 5, 6])

        let mismatch = try npz("mismatch.npz", [("x", x), ("y", Tensor(shape: [2], ints: [0, 1]))])
        assertBadInput(try Dataset.load(path: mismatch), file: mismatch, mentions: "2 labels for 3 samples")
        let scalarLabels = try npz("scalar_y.npz", [("x", x), ("y", Tensor(shape: [], ints: [1]))])
        assertBadInput(try Dataset.load(path: scalarLabels), file: scalarLabels, mentions: "labels 'y' are a single scalar")
        let nan = try npz("nan.npz", [("x", x), ("y", Tensor(shape: [3], floats: [0, 1, .nan]))])
        assertBadInput(try Dataset.load(path: nan), file: nan, mentions: "labels 'y' must be finite; value 2 is nan")
        let empty = try npz("empty.npz", [("x", Tensor(shape: [0, 2], floats: []))])
        assertBadInput(try Dataset.load(path: empty), file: empty, mentions: "dataset is empty")
        let onlyLabels = try npz("only_y.npz", [("y", Tensor(shape: [1], ints: [0]))])
        assertBadInput(try Dataset.load(path: onlyLabels), file: onlyLabels, mentions: "holds only labels")

        let scalar = folder.path("scalar.npy")
        try NPYFormat.write(.scalar(3), to: scalar)
        assertBadInput(try Dataset.load(path: scalar), file: scalar, mentions: "single scalar")
        let noArrays = FormatsFixtures.path("npy/dataset_empty_archive.npz")
        assertBadInput(try Dataset.load(path: noArrays), file: noArrays, mentions: "holds no arrays")
        let text = try folder.write(Data("1,2,3\n".utf8), to: "data.csv")
        assertBadInput(try Dataset.load(path: text), file: text, mentions: "expected an .npy array or an .npz archive")
        let missing = folder.path("missing.npz")
        assertBadInput(try Dataset.load(path: missing), file: missing, mentions: "no such file")
    }
}
