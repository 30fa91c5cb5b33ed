import XCTest
@testable import LatheCore

final class PoolKernelTests: XCTestCase {
    func testPoolsMatchOnnxruntime() throws { try checkFixtures("pool.json") }
}
