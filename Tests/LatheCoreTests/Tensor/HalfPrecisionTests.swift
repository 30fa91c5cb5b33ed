import XCTest
@testable import LatheCore

final class HalfPrecisionTests: XCTestCase {
    func testHandComputedFloat16Values() {
        XCTAssertEqual(HalfPrecision.float(fromFloat16Bits: 0x3C00), 1)
        XCTAssertEqual(HalfPrecision.float(fromFloat16Bits: 0xC100), -2.5)
        XCTAssertEqual(HalfPrecision.float(fromFloat16Bits: 0x7BFF), 65504)
        XCTAssertEqual(HalfPrecision.float(fromFloat16Bits: 0x0400), 0x1p-14)       // smallest normal
        XCTAssertEqual(HalfPrecision.float(fromFloat16Bits: 0x0001), 0x1p-24)       // smallest subnormal
        XCTAssertEqual(HalfPrecision.float(fromFloat16Bits: 0x03FF), 1023 * 0x1p-24) // largest subnormal
        XCTAssertEqual(HalfPrecision.float(fromFloat16Bits: 0x8000).bitPattern, (-0.0 as Float).bitPattern)
        XCTAssertEqual(HalfPrecision.float(fromFloat16Bits: 0x7C00), .infinity)
        XCTAssertEqual(HalfPrecision.float(fromFloat16Bits: 0xFC00), -.infinity)
        XCTAssertTrue(HalfPrecision.float(fromFloat16Bits: 0x7E00).isNaN)

        XCTAssertEqual(HalfPrecision.float16Bits(from: 1), 0x3C00)
        XCTAssertEqual(HalfPrecision.float16Bits(from: 65504), 0x7BFF)
        XCTAssertEqual(HalfPrecision.float16Bits(from: 65519.996), 0x7BFF) // just under the halfway point
        XCTAssertEqual(HalfPrecision.float16Bits(from: 65520), 0x7C00)     // halfway, ties to even = infinity
        XCTAssertEqual(HalfPrecision.float16Bits(from: 1 + 0x1p-11), 0x3C00)     // tie → even mantissa 0
        XCTAssertEqual(HalfPrecision.float16Bits(from: 1 + 3 * 0x1p-11), 0x3C02) // tie → even mantissa 2
        XCTAssertEqual(HalfPrecision.float16Bits(from: 0x1p-25), 0x0000)         // tie between 0 and 2^-24 → 0
        XCTAssertEqual(HalfPrecision.float16Bits(from: 1.5 * 0x1p-25), 0x0001)
        XCTAssertEqual(HalfPrecision.float16Bits(from: 1023.5 * 0x1p-24), 0x0400) // rounds up into the normals
        XCTAssertEqual(HalfPrecision.float16Bits(from: -0.0), 0x8000)
        XCTAssertEqual(HalfPrecision.float16Bits(from: .infinity), 0x7C00)
        XCTAssertEqual(HalfPrecision.float16Bits(from: 1e10), 0x7C00)
        XCTAssertTrue(HalfPrecision.float(fromFloat16Bits: HalfPrecision.float16Bits(from: .nan)).isNaN)
    }

    func testHandComputedBFloat16Values() {
        XCTAssertEqual(HalfPrecision.float(fromBFloat16Bits: 0x3F80), 1)
        XCTAssertEqual(HalfPrecision.float(fromBFloat16Bits: 0xC020), -2.5)
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 1), 0x3F80)
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 1 + 0x1p-8), 0x3F80)     // tie → even
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 1 + 3 * 0x1p-8), 0x3F82) // tie → even
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 1 + 0x1p-8 + 0x1p-20), 0x3F81)
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: .greatestFiniteMagnitude), 0x7F80) // rounds to infinity
        XCTAssertTrue(HalfPrecision.float(fromBFloat16Bits: HalfPrecision.bfloat16Bits(from: .nan)).isNaN)
        XCTAssertTrue(HalfPrecision.float(fromBFloat16Bits: HalfPrecision.bfloat16Bits(from: Float(bitPattern: 0x7F80_0001))).isNaN)
    }

    #if !(os(macOS) && arch(x86_64))
    /// Every binary16 bit pattern decodes to the value Swift's own Float16 conversion gives, and every value
    /// encodes back to the same pattern.
    func testEveryFloat16PatternMatchesSwiftFloat16() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let decoded = HalfPrecision.float(fromFloat16Bits: bits)
            if expected.isNaN {
                XCTAssertTrue(decoded.isNaN, "bits \(bits)")
                continue
            }
            XCTAssertEqual(decoded.bitPattern, expected.bitPattern, "bits \(bits)")
            XCTAssertEqual(HalfPrecision.float16Bits(from: decoded), bits, "re-encoding bits \(bits)")
        }
    }
    #endif

    /// Narrowing float32 → float16 / bfloat16 rounds exactly as numpy and ml_dtypes do (ties, subnormals,
    /// overflow to infinity, thousands of random values).
    func testRoundingMatchesNumpy() throws {
        let arrays = try NPZFormat.read(path: FormatsFixtures.path("npy/halfprecision_rounding.npz"))
        func array(_ name: String) throws -> Tensor { try XCTUnwrap(arrays.first { $0.name == name }?.tensor) }
        let values = try array("values").floats
        let float16 = try array("float16_bits").ints
        let bfloat16 = try array("bfloat16_bits").ints
        XCTAssertGreaterThan(values.count, 4000)
        var mismatches = 0
        for (index, value) in values.enumerated() {
            if Int64(HalfPrecision.float16Bits(from: value)) != float16[index] { mismatches += 1 }
            if Int64(HalfPrecision.bfloat16Bits(from: value)) != bfloat16[index] { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0)
    }

    #if !(os(macOS) && arch(x86_64))
    /// Rounding to float16 agrees with the hardware/stdlib
    /// conversion over random bit patterns of every magnitude.
    func testFloat16RoundingMatchesFloat16() {
        var generator = SplitMix(seed: 11)
        for _ in 0..<200_000 {
            let bits = UInt32(truncatingIfNeeded: generator.next(Int.max))
            let value = Float(bitPattern: bits)
            guard !value.isNaN else { continue }
            let want = Float(Float16(value))
            let got = HalfPrecision.roundedToFloat16(value)
            XCTAssertEqual(got.bitPattern, want.bitPattern, "\(value): \(got) != \(want)")
            if got.bitPattern != want.bitPattern { return }
        }
    }
    #endif

    func testFloat16Boundaries() {
        XCTAssertEqual(HalfPrecision.roundedToFloat16(65519), 65504)
        XCTAssertEqual(HalfPrecision.roundedToFloat16(65520), .infinity)
        XCTAssertEqual(HalfPrecision.roundedToFloat16(-70000), -.infinity)
        XCTAssertEqual(HalfPrecision.roundedToFloat16(0x1p-25), 0)              // tie to even: 0
        XCTAssertEqual(HalfPrecision.roundedToFloat16(0x1.8p-25), 0x1p-24)      // above the tie: smallest subnormal
        XCTAssertEqual(HalfPrecision.roundedToFloat16(1 + 0x1p-11), 1)          // tie to even
        XCTAssertEqual(HalfPrecision.roundedToFloat16(1 + 0x1.8p-11), 1 + 0x1p-10)
    }
}
