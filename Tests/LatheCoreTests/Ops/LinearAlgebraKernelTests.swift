import XCTest
@testable import LatheCore

final class LinearAlgebraKernelTests: XCTestCase {
    /// A compiled step's MatMul keeps its last geometry (`ShapePairMemo`): with other shapes (batch folded into
    /// rows, a broadcast batch, a 1-D operand, integers) and back, it gives what a fresh call gives.
    func testARememberingMatMulFollowsItsOperandsShapes() throws {
        func floats(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { Float(($0 * 5) % 13) * 0.25 - 1 })
        }
        let calls: [(Tensor, Tensor)] = [
            (floats([2, 3, 4]), floats([4, 5])),
            (floats([3, 4]), floats([4, 2])),
            (floats([2, 1, 3, 4]), floats([5, 4, 2])),
            (floats([4]), floats([4, 3])),
            (Tensor(shape: [2, 2], ints: [1, -2, 3, 4]), Tensor(shape: [2, 1], ints: [5, 6])),
            (floats([2, 3, 4]), floats([4, 5])),
        ]
        let remembering = MatMulKernel.kernel(geometryMemo: ShapePairMemo())
        let node = Node(name: "matmul", opType: "MatMul", inputs: ["a", "b"], outputs: ["y"])
        for (index, (a, b)) in calls.enumerated() {
            let got = try remembering(node, [a, b])[0], want = try MatMulKernel.run(node, [a, b])[0]
            XCTAssertEqual(got.shape, want.shape, "call \(index)")
            XCTAssertEqual(got.floats, want.floats, "call \(index)")
            XCTAssertEqual(got.ints, want.ints, "call \(index)")
        }
        XCTAssertThrowsError(try remembering(node, [floats([2, 3]), floats([4, 2])]))
    }

    func testGemmMatchesOnnxruntime() throws { try checkFixtures("gemm.json") }
    func testMatMulMatchesOnnxruntime() throws { try checkFixtures("matmul.json") }
}
