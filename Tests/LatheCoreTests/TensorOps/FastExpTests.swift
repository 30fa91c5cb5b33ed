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

final class HalfPrecisionTests: XCTestCase {
    #if !(os(macOS) && arch(x86_64))
    /// The portable float16 rounding agrees with the hardware/stdlib
    /// conversion over random bit patterns of every magnitude.
    func testFloat16RoundingMatchesFloat16() {
        var generator = SplitMix(seed: 11)
        for _ in 0..<200_000 {
            let bits = UInt32(truncatingIfNeeded: generator.next(Int.max))
            let value = Float(bitPattern: bits)
            guard !value.isNaN else { continue }
            let want = Float(Float16(value))
            let got = HalfPrecision.toFloat16(value)
            XCTAssertEqual(got.bitPattern, want.bitPattern, "\(value): \(got) != \(want)")
            if got.bitPattern != want.bitPattern { return }
        }
    }
    #endif

    func testFloat16Boundaries() {
        XCTAssertEqual(HalfPrecision.toFloat16(65519), 65504)
        XCTAssertEqual(HalfPrecision.toFloat16(65520), .infinity)
        XCTAssertEqual(HalfPrecision.toFloat16(-70000), -.infinity)
        XCTAssertEqual(HalfPrecision.toFloat16(0x1p-25), 0)              // tie to even: 0
        XCTAssertEqual(HalfPrecision.toFloat16(0x1.8p-25), 0x1p-24)      // above the tie: smallest subnormal
        XCTAssertEqual(HalfPrecision.toFloat16(1 + 0x1p-11), 1)          // tie to even
        XCTAssertEqual(HalfPrecision.toFloat16(1 + 0x1.8p-11), 1 + 0x1p-10)
    }
}
