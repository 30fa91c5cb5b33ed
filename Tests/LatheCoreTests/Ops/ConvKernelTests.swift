import XCTest
@testable import LatheCore

final class ConvKernelTests: XCTestCase {
    func testConvMatchesOnnxruntime() throws { try checkFixtures("conv.json") }
    func testConvTransposeMatchesOnnxruntime() throws { try checkFixtures("conv_transpose.json") }
}
