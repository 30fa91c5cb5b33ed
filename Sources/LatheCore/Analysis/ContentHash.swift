import Foundation

/// A 128-bit content fingerprint (two independent 64-bit multiply–xorshift
/// lanes over 8-byte words), as 32 hex digits. Not cryptographic: it tells
/// files apart for cache keys, reading about a gigabyte per second.
public enum ContentHash {
    public static func hex(of data: Data) -> String {
        var a: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(data.count)
        var b: UInt64 = 0x1319_8A2E_0370_7344 &+ UInt64(data.count)
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let words = raw.count / 8
            for i in 0..<words {
                let w = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                a = mix(a ^ w, 0x9E37_79B9_7F4A_7C15)
                b = mix(b &+ w, 0xC2B2_AE3D_27D4_EB4F)
            }
            var tail: UInt64 = 0
            for (shift, byte) in raw[(words * 8)...].enumerated() { tail |= UInt64(byte) << UInt64(8 * shift) }
            a = mix(a ^ tail, 0x9E37_79B9_7F4A_7C15)
            b = mix(b &+ tail, 0xC2B2_AE3D_27D4_EB4F)
        }
        return String(format: "%016llx%016llx", finish(a), finish(b))
    }

    public static func hex(of text: String) -> String { hex(of: Data(text.utf8)) }

    /// The fingerprint of a file's bytes.
    public static func hex(ofFile path: String) throws -> String {
        do {
            return hex(of: try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe))
        } catch {
            throw LatheError.badInput(file: path, "cannot be read: \(error.localizedDescription)")
        }
    }

    private static func mix(_ x: UInt64, _ k: UInt64) -> UInt64 {
        var z = x &* k
        z ^= z >> 29
        return z
    }

    private static func finish(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
