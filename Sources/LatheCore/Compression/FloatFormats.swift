/// Rounding to 16-bit float formats, round to nearest even (as numpy's
/// `astype(float16)` and the usual bf16 conversion).
public enum FloatFormats {
    /// IEEE half precision; values beyond ±65504 become ±inf, as numpy does.
    @inline(__always)
    public static func roundToFP16(_ value: Float) -> Float { Float(Float16(value)) }

    /// bfloat16: the upper 16 bits of a float32, rounded to nearest even; NaN stays NaN.
    @inline(__always)
    public static func roundToBF16(_ value: Float) -> Float {
        if value.isNaN { return value }
        let bits = value.bitPattern
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return Float(bitPattern: (bits &+ roundingBias) & 0xFFFF_0000)
    }

    static func round(_ values: inout [Float], to format: WeightFormat) {
        switch format {
        case .fp16: for i in values.indices { values[i] = roundToFP16(values[i]) }
        case .bf16: for i in values.indices { values[i] = roundToBF16(values[i]) }
        case .float32, .integer: break
        }
    }
}
