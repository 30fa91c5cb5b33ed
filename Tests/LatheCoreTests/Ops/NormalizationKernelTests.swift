import XCTest
@testable import LatheCore

final class NormalizationKernelTests: XCTestCase {
    func testNormalizationsMatchOnnxruntime() throws { try checkFixtures("normalization.json") }
}
