/// The one conversion between `Float` and the 16-bit float formats (IEEE
/// binary16 "float16" and bfloat16), used by the file formats, the kernels
/// (float16 results) and compression (fp16/bf16 weights). Done on bit
/// patterns rather than with Swift's `Float16`, which macOS on Intel lacks,
/// so every platform rounds alike. Narrowing rounds to nearest, ties to even,
/// as numpy and onnx do; overflow becomes ±infinity; NaN stays NaN.
public enum HalfPrecision {
    /// The `Float` a binary16 bit pattern denotes (every binary16 value is exactly representable).
    public static func float(fromFloat16Bits bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2^-24, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 0x1F {
            // Infinity or NaN; the NaN payload moves to the top of Float's mantissa.
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// The binary16 bit pattern nearest to `value` (ties to even; overflow → ±infinity; NaN stays NaN).
    public static func float16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude >= 0x7F80_0000 {
            if magnitude > 0x7F80_0000 {
                return sign | 0x7E00 | UInt16(truncatingIfNeeded: (magnitude >> 13) & 0x03FF)
            }
            return sign | 0x7C00
        }
        // 65520 is halfway between 65504 (largest finite, odd mantissa) and 2^16: it and above round to infinity.
        if magnitude >= 0x477F_F000 { return sign | 0x7C00 }
        if magnitude < 0x3880_0000 {
            // Below binary16's smallest normal 2^-14: the result is round(|value| · 2^24) units of 2^-24.
            // Scaling by a power of two is exact; a result of 1024 is correctly the smallest normal.
            let scaled = Float(bitPattern: magnitude) * 0x1p24
            return sign | UInt16(scaled.rounded(.toNearestOrEven))
        }
        var half = (magnitude >> 13) &- (112 << 10)
        let remainder = magnitude & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) {
            half += 1 // a carry into the exponent is the correct rounding up
        }
        return sign | UInt16(truncatingIfNeeded: half)
    }

    /// The `Float` a bfloat16 bit pattern denotes (exact: bfloat16 is Float's top half).
    public static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The bfloat16 bit pattern nearest to `value` (ties to even; NaN stays a quiet NaN).
    public static func bfloat16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounding: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    /// `value` rounded to the nearest float16 value, as a `Float`: what storing
    /// it as float16 and reading it back gives.
    @inline(__always)
    public static func roundedToFloat16(_ value: Float) -> Float {
        float(fromFloat16Bits: float16Bits(from: value))
    }

    /// `value` rounded to the nearest bfloat16 value, as a `Float`.
    @inline(__always)
    public static func roundedToBFloat16(_ value: Float) -> Float {
        float(fromBFloat16Bits: bfloat16Bits(from: value))
    }

    /// Rounds `values` to `dtype`'s precision in place; other dtypes are left alone.
    public static func round(_ values: inout [Float], to dtype: DType) {
        switch dtype {
        case .float16: for i in values.indices { values[i] = roundedToFloat16(values[i]) }
        case .bfloat16: for i in values.indices { values[i] = roundedToBFloat16(values[i]) }
        default: break
        }
    }

    /// `values` rounded to `dtype`'s precision; other dtypes are returned unchanged.
    public static func rounded(_ values: [Float], to dtype: DType) -> [Float] {
        var result = values
        round(&result, to: dtype)
        return result
    }
}
