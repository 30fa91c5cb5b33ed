import Foundation

/// Converts between a tensor's elements and the packed little-endian bytes
/// files store them as (ONNX `raw_data` and external data, NPY payloads).
/// Works on raw buffers, never per-element `Data` subscripts, so a large
/// weight file decodes at memory speed.
enum ElementCodec {
    /// Decodes `bytes` (exactly `dtype.packedBytes(count:)` of `shape`'s element count, little-endian;
    /// 4-bit types two per byte, low nibble first) into a tensor.
    /// Callers check the length first; a mismatch here is a programming error.
    static func decode(_ bytes: UnsafeRawBufferPointer, dtype: DType, shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        precondition(bytes.count == dtype.packedBytes(count: count), "element bytes do not match the shape")
        switch dtype {
        case .int4, .uint4:
            return Tensor(shape: shape, ints: unpackNibbles(bytes, count: count, signed: dtype == .int4), dtype: dtype)
        case .float32:
            return Tensor(shape: shape, floats: decodeFloat32(bytes, count: count), dtype: dtype)
        case .float16:
            return Tensor(shape: shape, floats: mapFloats(bytes, count: count, as: UInt16.self) {
                HalfPrecision.float(fromFloat16Bits: UInt16(littleEndian: $0))
            }, dtype: dtype)
        case .bfloat16:
            return Tensor(shape: shape, floats: mapFloats(bytes, count: count, as: UInt16.self) {
                HalfPrecision.float(fromBFloat16Bits: UInt16(littleEndian: $0))
            }, dtype: dtype)
        case .float64:
            return Tensor(shape: shape, floats: mapFloats(bytes, count: count, as: UInt64.self) {
                Float(Double(bitPattern: UInt64(littleEndian: $0)))
            }, dtype: dtype)
        case .int8:
            return Tensor(shape: shape, ints: mapInts(bytes, count: count, as: Int8.self) { Int64($0) }, dtype: dtype)
        case .uint8:
            return Tensor(shape: shape, ints: mapInts(bytes, count: count, as: UInt8.self) { Int64($0) }, dtype: dtype)
        case .bool:
            return Tensor(shape: shape, ints: mapInts(bytes, count: count, as: UInt8.self) { $0 == 0 ? 0 : 1 },
                          dtype: dtype)
        case .int16:
            return Tensor(shape: shape, ints: mapInts(bytes, count: count, as: Int16.self) {
                Int64(Int16(littleEndian: $0))
            }, dtype: dtype)
        case .uint16:
            return Tensor(shape: shape, ints: mapInts(bytes, count: count, as: UInt16.self) {
                Int64(UInt16(littleEndian: $0))
            }, dtype: dtype)
        case .int32:
            return Tensor(shape: shape, ints: mapInts(bytes, count: count, as: Int32.self) {
                Int64(Int32(littleEndian: $0))
            }, dtype: dtype)
        case .uint32:
            return Tensor(shape: shape, ints: mapInts(bytes, count: count, as: UInt32.self) {
                Int64(UInt32(littleEndian: $0))
            }, dtype: dtype)
        case .int64:
            return Tensor(shape: shape, ints: mapInts(bytes, count: count, as: Int64.self) {
                Int64(littleEndian: $0)
            }, dtype: dtype)
        case .uint64:
            // Values above Int64.max cannot be held; they saturate rather than wrap to negatives.
            return Tensor(shape: shape, ints: mapInts(bytes, count: count, as: UInt64.self) {
                Int64(clamping: UInt64(littleEndian: $0))
            }, dtype: dtype)
        }
    }

    /// The tensor's elements as packed little-endian bytes of its dtype (float16/bfloat16 rounded to
    /// nearest-even, float64 widened exactly, integers truncated to the dtype's width).
    static func encode(_ tensor: Tensor) -> Data {
        let count = tensor.count
        var data = Data(count: tensor.dtype.packedBytes(count: count))
        guard count > 0 else { return data }
        data.withUnsafeMutableBytes { (out: UnsafeMutableRawBufferPointer) in
            switch tensor.dtype {
            case .int4, .uint4:
                packNibbles(tensor.ints, into: out)
            case .float32:
                tensor.floats.withUnsafeBytes { source in
                    #if _endian(little)
                    out.copyMemory(from: source)
                    #else
                    for (i, v) in tensor.floats.enumerated() {
                        out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                    }
                    #endif
                }
            case .float16:
                for (i, v) in tensor.floats.enumerated() {
                    out.storeBytes(of: HalfPrecision.float16Bits(from: v).littleEndian, toByteOffset: i * 2, as: UInt16.self)
                }
            case .bfloat16:
                for (i, v) in tensor.floats.enumerated() {
                    out.storeBytes(of: HalfPrecision.bfloat16Bits(from: v).littleEndian, toByteOffset: i * 2, as: UInt16.self)
                }
            case .float64:
                for (i, v) in tensor.floats.enumerated() {
                    out.storeBytes(of: Double(v).bitPattern.littleEndian, toByteOffset: i * 8, as: UInt64.self)
                }
            case .int8, .uint8:
                for (i, v) in tensor.ints.enumerated() {
                    out.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: i, as: UInt8.self)
                }
            case .bool:
                for (i, v) in tensor.ints.enumerated() {
                    out.storeBytes(of: v == 0 ? 0 : 1, toByteOffset: i, as: UInt8.self)
                }
            case .int16, .uint16:
                for (i, v) in tensor.ints.enumerated() {
                    out.storeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian, toByteOffset: i * 2, as: UInt16.self)
                }
            case .int32, .uint32:
                for (i, v) in tensor.ints.enumerated() {
                    out.storeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian, toByteOffset: i * 4, as: UInt32.self)
                }
            case .int64, .uint64:
                for (i, v) in tensor.ints.enumerated() {
                    out.storeBytes(of: UInt64(truncatingIfNeeded: v).littleEndian, toByteOffset: i * 8, as: UInt64.self)
                }
            }
        }
        return data
    }

    /// 4-bit elements, two per byte, the first in the low nibble; int4 sign-extended.
    static func unpackNibbles(_ bytes: UnsafeRawBufferPointer, count: Int, signed: Bool) -> [Int64] {
        [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                let byte = bytes[i / 2]
                let nibble = Int64(i % 2 == 0 ? byte & 0x0F : byte >> 4)
                buffer[i] = signed && nibble >= 8 ? nibble - 16 : nibble
            }
            initialized = count
        }
    }

    /// Packs the low 4 bits of each value two per byte, the first in the low nibble (an odd count
    /// leaves the last high nibble zero).
    static func packNibbles(_ values: [Int64], into out: UnsafeMutableRawBufferPointer) {
        for i in 0..<out.count { out[i] = 0 }
        for (i, v) in values.enumerated() {
            let nibble = UInt8(truncatingIfNeeded: v) & 0x0F
            out[i / 2] |= i % 2 == 0 ? nibble : nibble << 4
        }
    }

    /// Reverses the byte order of every `width`-byte element (for big-endian NPY files).
    static func swapByteOrder(_ data: inout Data, width: Int) {
        guard width > 1 else { return }
        data.withUnsafeMutableBytes { (bytes: UnsafeMutableRawBufferPointer) in
            var start = 0
            while start + width <= bytes.count {
                var low = start, high = start + width - 1
                while low < high {
                    bytes.swapAt(low, high)
                    low += 1
                    high -= 1
                }
                start += width
            }
        }
    }

    private static func decodeFloat32(_ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        #if _endian(little)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0, let base = buffer.baseAddress, let source = bytes.baseAddress {
                UnsafeMutableRawPointer(base).copyMemory(from: source, byteCount: count * 4)
            }
            initialized = count
        }
        #else
        return mapFloats(bytes, count: count, as: UInt32.self) { Float(bitPattern: UInt32(littleEndian: $0)) }
        #endif
    }

    private static func mapFloats<Raw: FixedWidthInteger>(
        _ bytes: UnsafeRawBufferPointer, count: Int, as: Raw.Type, _ convert: (Raw) -> Float
    ) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let width = MemoryLayout<Raw>.size
            for i in 0..<count {
                buffer[i] = convert(bytes.loadUnaligned(fromByteOffset: i * width, as: Raw.self))
            }
            initialized = count
        }
    }

    private static func mapInts<Raw: FixedWidthInteger>(
        _ bytes: UnsafeRawBufferPointer, count: Int, as: Raw.Type, _ convert: (Raw) -> Int64
    ) -> [Int64] {
        [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard count > 0, let out = buffer.baseAddress, let source = bytes.baseAddress else {
                initialized = 0
                return
            }
            initialized = count
            if MemoryLayout<Raw>.size == 1 {
                // Bytes (uint8 images, masks) need no unaligned loads: a plain loop the compiler vectorises.
                let raw = source.assumingMemoryBound(to: Raw.self)
                for i in 0..<count { out[i] = convert(raw[i]) }
                return
            }
            let width = MemoryLayout<Raw>.size
            for i in 0..<count { out[i] = convert(source.loadUnaligned(fromByteOffset: i * width, as: Raw.self)) }
        }
    }
}
