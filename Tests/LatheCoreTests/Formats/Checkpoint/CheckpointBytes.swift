import Foundation
@testable import LatheCore

/// Builds safetensors and GGUF files byte by byte, following the formats' specifications
/// (not Lathe's readers), so the tests can write both good files and every kind of damage.
enum CheckpointBytes {
    static func le<T: FixedWidthInteger>(_ value: T) -> Data {
        withUnsafeBytes(of: value.littleEndian) { Data($0) }
    }

    static func float32(_ values: [Float]) -> Data {
        values.reduce(into: Data()) { $0 += le($1.bitPattern) }
    }

    static func float16(_ values: [Float]) -> Data {
        values.reduce(into: Data()) { $0 += le(HalfPrecision.float16Bits(from: $1)) }
    }

    static func bfloat16(_ values: [Float]) -> Data {
        values.reduce(into: Data()) { $0 += le(HalfPrecision.bfloat16Bits(from: $1)) }
    }

    /// A safetensors file: 8-byte header size, the header text as given, then `payload`.
    static func safetensors(header: String, payload: Data, declaredSize: UInt64? = nil) -> Data {
        let text = Data(header.utf8)
        return le(declaredSize ?? UInt64(text.count)) + text + payload
    }

    /// A safetensors header for `(name, dtype, shape, begin, end)` entries.
    static func header(_ entries: [(String, String, [Int], Int, Int)], metadata: [String: String]? = nil) -> String {
        var members = entries.map { name, dtype, shape, begin, end in
            "\"\(name)\": {\"dtype\": \"\(dtype)\", \"shape\": [\(shape.map(String.init).joined(separator: ", "))], "
                + "\"data_offsets\": [\(begin), \(end)]}"
        }
        if let metadata {
            let pairs = metadata.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
            members.insert("\"__metadata__\": {\(pairs)}", at: 0)
        }
        return "{" + members.joined(separator: ", ") + "}"
    }

    // GGUF pieces.
    static func ggufString(_ s: String) -> Data { le(UInt64(s.utf8.count)) + Data(s.utf8) }

    enum KV {
        case u32(String, UInt32)
        case string(String, String)
        case stringArray(String, [String])
        case floatArray(String, [Float])

        var bytes: Data {
            switch self {
            case let .u32(key, value): return ggufString(key) + le(UInt32(4)) + le(value)
            case let .string(key, value): return ggufString(key) + le(UInt32(8)) + ggufString(value)
            case let .stringArray(key, values):
                return ggufString(key) + le(UInt32(9)) + le(UInt32(8)) + le(UInt64(values.count))
                    + values.reduce(into: Data()) { $0 += ggufString($1) }
            case let .floatArray(key, values):
                return ggufString(key) + le(UInt32(9)) + le(UInt32(6)) + le(UInt64(values.count)) + float32(values)
            }
        }
    }

    struct GGUFTensor {
        var name: String
        /// Innermost first, as GGUF stores them.
        var dims: [UInt64]
        var type: UInt32
        var data: Data
    }

    /// A GGUF v3 file: header, key–values, tensor infos, padding to `alignment`, then each
    /// tensor's data at the next multiple of `alignment`.
    static func gguf(kvs: [KV], tensors: [GGUFTensor], alignment: Int = 32, version: UInt32 = 3) -> Data {
        var out = Data("GGUF".utf8) + le(version) + le(UInt64(tensors.count)) + le(UInt64(kvs.count))
        for kv in kvs { out += kv.bytes }
        var offset = 0
        var offsets: [Int] = []
        for tensor in tensors {
            offsets.append(offset)
            offset += tensor.data.count
            offset = (offset + alignment - 1) / alignment * alignment
        }
        for (tensor, start) in zip(tensors, offsets) {
            out += ggufString(tensor.name) + le(UInt32(tensor.dims.count))
            for dim in tensor.dims { out += le(dim) }
            out += le(tensor.type) + le(UInt64(start))
        }
        out += Data(count: (alignment - out.count % alignment) % alignment)
        for (tensor, start) in zip(tensors, offsets) {
            out += tensor.data
            let end = start + tensor.data.count
            out += Data(count: (end + alignment - 1) / alignment * alignment - end)
        }
        return out
    }
}
