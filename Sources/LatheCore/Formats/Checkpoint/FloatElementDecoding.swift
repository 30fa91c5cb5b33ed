/// float32 / float16 / bfloat16 little-endian elements to `Float`, through the one
/// fp16/bf16 conversion (`HalfPrecision`), reading the mapped bytes unaligned.
enum FloatElementDecoding {
    /// Every float16 bit pattern's value (256 KB): checkpoints are mostly float16, and a lookup
    /// is several times faster than decoding each pattern's fields.
    static let float16Values: [Float] = (0...UInt16.max).map { HalfPrecision.float(fromFloat16Bits: $0) }

    static func decode(_ bytes: UnsafeRawBufferPointer, dtype: DType, count: Int,
                       into out: UnsafeMutablePointer<Float>) {
        precondition(bytes.count >= count * dtype.byteSize, "float elements past the end of their bytes")
        switch dtype {
        case .float16:
            float16Values.withUnsafeBufferPointer { table in
                for i in 0..<count {
                    out[i] = table[Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))]
                }
            }
        case .bfloat16:
            for i in 0..<count {
                out[i] = HalfPrecision.float(fromBFloat16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        default:
            for i in 0..<count {
                out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
    }
}
