import Foundation
import XCTest
@testable import LatheCore

final class FastExpTests: XCTestCase {
    /// Within 2 ulp of the double-precision exp over the range Softmax,
    /// Sigmoid and Tanh use.
    func testExpAccuracy() {
        var x: Float = -87
        while x < 88 {
            let want = Foundation.exp(Double(x))
            let got = Double(FastExp.exp(x))
            XCTAssertLessThanOrEqual(Swift.abs(got - want) / want, 1.2e-7, "exp(\(x))")
            x += 0.01234
        }
        XCTAssertEqual(FastExp.exp(0), 1)
    }

    func testSigmoidAndTanhAgainstDouble() {
        var x: Float = -40
        while x < 40 {
            XCTAssertEqual(Double(FastExp.sigmoid(x)), 1 / (1 + Foundation.exp(-Double(x))), accuracy: 2e-7, "sigmoid(\(x))")
            XCTAssertEqual(Double(FastExp.tanh(x)), Foundation.tanh(Double(x)), accuracy: 3e-7, "tanh(\(x))")
            x += 0.00917
        }
    }

    func testSaturationAndNaN() {
        XCTAssertTrue(FastExp.exp(.nan).isNaN)
        XCTAssertTrue(FastExp.sigmoid(.nan).isNaN)
        XCTAssertEqual(FastExp.sigmoid(1000), 1)
        XCTAssertEqual(FastExp.sigmoid(-1000), 0, accuracy: 1e-37)
        XCTAssertEqual(FastExp.tanh(.infinity), 1)
        XCTAssertEqual(FastExp.tanh(-.infinity), -1)
        XCTAssertTrue(FastExp.exp(1000).isFinite)
    }
}
