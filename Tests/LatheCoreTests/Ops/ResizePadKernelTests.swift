import XCTest
@testable import LatheCore

final class ResizePadKernelTests: XCTestCase {
    func testResizeMatchesOnnxruntime() throws { try checkFixtures("resize.json") }
    func testPadMatchesOnnxruntime() throws { try checkFixtures("pad.json") }
}
