/// Dequantization of ggml's 32-element block formats, exactly as ggml's
/// `dequantize_row_q8_0/q4_0/q4_1/q5_0/q5_1` (ggml-quants.c) and the gguf package's
/// quants.py do it: the block's fp16 scale `d` (and minimum `m`) widened to float32,
/// each value `q·d` or `q·d + m` in float32 (two roundings, no fused multiply-add).
///
/// Block layouts (little-endian):
/// - Q8_0: d f16, 32 × int8 q                                   → `q·d`
/// - Q4_0: d f16, 16 bytes of nibbles                            → `(nibble − 8)·d`
/// - Q4_1: d f16, m f16, 16 bytes of nibbles                     → `nibble·d + m`
/// - Q5_0: d f16, qh u32 (fifth bits), 16 bytes of nibbles       → `((nibble | bit<<4) − 16)·d`
/// - Q5_1: d f16, m f16, qh u32, 16 bytes of nibbles             → `(nibble | bit<<4)·d + m`
/// Element j < 16 of a block is byte j's low nibble (and qh bit j); element j + 16 its high
/// nibble (qh bit j + 16).
enum GGMLBlockDecoding {
    static func decode(_ bytes: UnsafeRawBufferPointer, type: GGMLType, count: Int,
                       into out: UnsafeMutablePointer<Float>) {
        let blocks = (count + 31) / 32
        precondition(bytes.count >= blocks * type.blockBytes, "blocks past the end of their bytes")
        var block = [Float](repeating: 0, count: 32)
        for b in 0..<blocks {
            let base = b * type.blockBytes
            block.withUnsafeMutableBufferPointer { values in
                decodeBlock(bytes, at: base, type: type, into: values)
            }
            let n = min(32, count - b * 32)
            for j in 0..<n { out[b * 32 + j] = block[j] }
        }
    }

    @inline(__always)
    private static func half(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Float {
        HalfPrecision.float(fromFloat16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    private static func decodeBlock(_ bytes: UnsafeRawBufferPointer, at base: Int, type: GGMLType,
                                    into y: UnsafeMutableBufferPointer<Float>) {
        let d = half(bytes, base)
        switch type.id {
        case GGMLType.q8_0.id:
            for j in 0..<32 { y[j] = Float(Int8(bitPattern: bytes[base + 2 + j])) * d }
        case GGMLType.q4_0.id:
            for j in 0..<16 {
                let q = bytes[base + 2 + j]
                y[j] = Float(Int32(q & 0x0F) - 8) * d
                y[j + 16] = Float(Int32(q >> 4) - 8) * d
            }
        case GGMLType.q4_1.id:
            let m = half(bytes, base + 2)
            for j in 0..<16 {
                let q = bytes[base + 4 + j]
                y[j] = Float(q & 0x0F) * d + m
                y[j + 16] = Float(q >> 4) * d + m
            }
        case GGMLType.q5_0.id:
            let qh = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 2, as: UInt32.self))
            for j in 0..<16 {
                let q = bytes[base + 6 + j]
                let low = Int32(q & 0x0F) | Int32((qh >> UInt32(j)) & 1) << 4
                let high = Int32(q >> 4) | Int32((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = Float(low - 16) * d
                y[j + 16] = Float(high - 16) * d
            }
        case GGMLType.q5_1.id:
            let m = half(bytes, base + 2)
            let qh = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 4, as: UInt32.self))
            for j in 0..<16 {
                let q = bytes[base + 8 + j]
                let low = UInt32(q & 0x0F) | ((qh >> UInt32(j)) & 1) << 4
                let high = UInt32(q >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = Float(low) * d + m
                y[j + 16] = Float(high) * d + m
            }
        default:
            preconditionFailure("\(type.name) blocks are not decoded")
        }
    }
}
