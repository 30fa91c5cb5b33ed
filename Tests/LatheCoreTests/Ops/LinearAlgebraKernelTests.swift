import XCTest
@testable import LatheCore

final class LinearAlgebraKernelTests: XCTestCase {
    func testGemmMatchesOnnxruntime() throws { try checkFixtures("gemm.json") }
    func testMatMulMatchesOnnxruntime() throws { try checkFixtures("matmul.json") }
}
