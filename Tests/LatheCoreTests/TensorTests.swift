import XCTest
@testable import LatheCore

final class TensorTests: XCTestCase {
    func testRowMajorStrides() {
        XCTAssertEqual(rowMajorStrides([2, 3, 4]), [12, 4, 1])
        XCTAssertEqual(rowMajorStrides([]), [])
    }

    func testONNXTypeCodesRoundTrip() {
        for dtype in DType.allCases {
            XCTAssertEqual(DType(onnxCode: dtype.onnxCode), dtype)
        }
        XCTAssertEqual(DType(onnxCode: 1), .float32)
        XCTAssertEqual(DType(onnxCode: 16), .bfloat16)
        XCTAssertNil(DType(onnxCode: 8)) // strings are not tensors Lathe computes on
    }

    func testConversions() {
        let t = Tensor(shape: [3], ints: [1, -2, 3])
        XCTAssertEqual(t.asFloats, [1, -2, 3])
        XCTAssertEqual(Tensor(shape: [2], floats: [1.9, -1.9]).asInts, [1, -1])
        XCTAssertEqual(Tensor(shape: [2, 2], floats: [0, 0, 0, 0], dtype: .float16).storedBytes, 8)
    }
}
