import Foundation
import XCTest
@testable import LatheCore

final class FastErfTests: XCTestCase {
    /// Within 1.3 ulp of the double-precision erf (an exhaustive sweep of the
    /// floats measured 1.26), on both sides of the 0.921875 split, through
    /// the range where erf reaches 1, and on the tiny values where erf ≈ 2x/√π.
    func testAccuracyAgainstDouble() {
        var worst = 0.0
        func check(_ x: Float) {
            let want = Foundation.erf(Double(x))
            // The ulp of the float result, taking the binade below 1 for results that round to 1.
            let rounded = Float(want).magnitude
            let ulp = Double(rounded >= 1 ? Float(1).nextDown.ulp : Swift.max(rounded.ulp, .leastNonzeroMagnitude))
            let error = Swift.abs(Double(FastErf.erf(x)) - want) / ulp
            worst = Swift.max(worst, error)
            XCTAssertLessThanOrEqual(error, 1.3, "erf(\(x))")
        }
        var x: Float = -6
        while x < 6 {
            check(x)
            x += 0.000_731
        }
        for split in [Float(0.921_875), 3.925] {
            var near = split
            for _ in 0..<200 { near = near.nextDown }
            for _ in 0..<400 {
                check(near)
                check(-near)
                near = near.nextUp
            }
        }
        for tiny: Float in [1e-30, 1e-10, 1e-5, .leastNormalMagnitude, .leastNonzeroMagnitude] {
            check(tiny)
            check(-tiny)
        }
        XCTAssertGreaterThan(worst, 0)
    }

    func testSpecialValues() {
        XCTAssertTrue(FastErf.erf(.nan).isNaN)
        XCTAssertEqual(FastErf.erf(0).bitPattern, Float(0).bitPattern)
        XCTAssertEqual(FastErf.erf(-0.0).bitPattern, Float(-0.0).bitPattern)
        XCTAssertEqual(FastErf.erf(.infinity), 1)
        XCTAssertEqual(FastErf.erf(-.infinity), -1)
        XCTAssertEqual(FastErf.erf(1e30), 1)
        XCTAssertEqual(FastErf.erf(-4), -1)
    }
}
