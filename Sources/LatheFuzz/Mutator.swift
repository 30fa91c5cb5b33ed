/// Byte-level and structure-aware mutations of an input, drawn from a seeded generator.
struct Mutator {
    var rng: SeededGenerator
    let kinds: FieldKinds
    /// Inputs grow at most to this size (a reader must refuse big claims, not big files).
    let maxSize: Int

    static let interesting8: [UInt8] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x10, 0x40]
    static let interesting: [UInt64] = [
        0, 1, 2, 3, 4, 7, 8, 16, 255, 256, 1000, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000,
        0xFFFF_FFFF, 0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF,
        0x0FFF_FFFF_FFFF_FFFF, 1 << 40, 1 << 31 + 1, 1 << 62, 65_537, 1 << 20, 1 << 30,
    ]
    /// Pieces of YAML/JSON structure: nesting, anchors and aliases, odd scalars.
    static let textTokens: [String] = [
        "[", "]", "{", "}", "- ", ": ", ", ", "\n", "\n  ", "\n    - ", "'", "\"", "\t", "# ", "&a ", "*a", "<<: *a",
        "!!binary ", "!!str ", "? ", "|\n  ", ">\n  ", "~", "null", "true", "1e309", "-0", "0x7fffffffffffffff",
        "99999999999999999999", ".nan", ".inf", "1.5", "\\u0000", "\u{FEFF}", "é", "\"\\", "---\n", "...\n",
        "%YAML 1.2\n", "[[[[[[[[", "{a: {a: {a: {a: ", "bits", "prune", "layers", "defaults", "version: 1\n",
        "clusters", "rank", "abits", "share_group", "structure", "2:4", "channel", "per-tensor", "asymmetric",
        "percentile", "range", "*", "**", "?", "[!a-z]", "\\",
    ]

    init(seed: UInt64, kinds: FieldKinds, maxSize: Int) {
        rng = SeededGenerator(seed: seed)
        self.kinds = kinds
        self.maxSize = maxSize
    }

    /// A mutant of `input`: one structure-aware rewrite of its `fields` (when it has any) and/or
    /// one to four byte-level mutations, now and then spliced with another corpus entry.
    mutating func mutate(_ input: [UInt8], fields: [Field], other: [UInt8]) -> [UInt8] {
        var bytes = input
        if !fields.isEmpty, rng.chance(0.5) {
            bytes = rewrite(bytes, rng.pick(fields))
            if rng.chance(0.5) { return finish(bytes) }
        }
        let count = 1 + rng.below(4) * rng.below(2)
        for _ in 0..<count { bytes = mutateOnce(bytes, other: other) }
        return finish(bytes)
    }

    private mutating func finish(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        if bytes.count > maxSize { bytes.removeLast(bytes.count - maxSize) }
        // Mutated archives mostly fail their checksums; half the time, make the checksums agree so the
        // mutation reaches what is inside.
        if kinds.contains(.zip), rng.chance(0.5) { ZipChecksums.fix(&bytes) }
        return bytes
    }

    private mutating func mutateOnce(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var bytes = input
        if bytes.isEmpty { return [rng.pick(Self.interesting8)] }
        let position = rng.below(bytes.count)
        switch rng.below(kinds.contains(.text) ? 12 : 10) {
        case 0:
            bytes[position] ^= 1 << UInt8(rng.below(8))
        case 1:
            bytes[position] = rng.chance(0.5) ? rng.pick(Self.interesting8) : UInt8(truncatingIfNeeded: rng.next())
        case 2:
            let width = rng.pick([2, 4, 8])
            writeLittleEndian(&bytes, at: position, width: width, value: rng.pick(Self.interesting))
        case 3:
            let insert = (0..<(1 + rng.below(16))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            bytes.insert(contentsOf: insert, at: position)
        case 4:
            let length = 1 + rng.below(min(bytes.count - position, rng.chance(0.8) ? 16 : 4096))
            bytes.removeSubrange(position..<(position + length))
        case 5:
            // Duplicate a chunk somewhere else (repeated fields, repeated records).
            let length = 1 + rng.below(min(bytes.count - position, 256))
            let chunk = Array(bytes[position..<(position + length)])
            bytes.insert(contentsOf: chunk, at: rng.below(bytes.count + 1))
        case 6:
            bytes.removeSubrange(position...)
        case 7:
            // Splice: this input's start, another's end.
            guard !other.isEmpty else { break }
            let cut = rng.below(other.count)
            bytes = Array(bytes[..<position]) + Array(other[cut...])
        case 8:
            let run = [UInt8](repeating: rng.pick(Self.interesting8), count: 1 + rng.below(rng.chance(0.9) ? 32 : 8192))
            bytes.insert(contentsOf: run, at: position)
        case 9:
            // Overwrite with a chunk of the other input (keeps well-formed pieces).
            guard !other.isEmpty else { break }
            let start = rng.below(other.count)
            let length = min(1 + rng.below(64), other.count - start, bytes.count - position)
            bytes.replaceSubrange(position..<(position + length), with: other[start..<(start + length)])
        default:
            let token = Array(rng.pick(Self.textTokens).utf8)
            let repeats = rng.chance(0.1) ? 1 + rng.below(3000) : 1
            bytes.insert(contentsOf: (0..<repeats).flatMap { _ in token }, at: position)
        }
        return bytes
    }

    /// Writes an interesting value into a field in the field's own encoding.
    mutating func rewrite(_ input: [UInt8], _ field: Field) -> [UInt8] {
        var bytes = input
        guard field.offset + field.width <= bytes.count else { return bytes }
        var value = rng.pick(Self.interesting)
        if rng.chance(0.3) {
            // Near the current value: off by one, doubled, halved.
            let current = read(bytes, field)
            value = rng.pick([current &+ 1, current &- 1, current &* 2, current / 2, current &+ 8, current &<< 8])
        }
        switch field.encoding {
        case .varint:
            bytes.replaceSubrange(field.offset..<(field.offset + field.width), with: Self.varint(value))
        case .littleEndian:
            writeLittleEndian(&bytes, at: field.offset, width: field.width, value: value)
        case .decimal:
            let text = rng.chance(0.2) ? "-" + String(value) : String(value)
            bytes.replaceSubrange(field.offset..<(field.offset + field.width), with: Array(text.utf8))
        }
        return bytes
    }

    private func read(_ bytes: [UInt8], _ field: Field) -> UInt64 {
        switch field.encoding {
        case .varint:
            return ProtobufFields.varint(bytes, at: field.offset, end: field.offset + field.width)?.0 ?? 0
        case .littleEndian:
            var value: UInt64 = 0
            for k in 0..<min(8, field.width) { value |= UInt64(bytes[field.offset + k]) << (8 * UInt64(k)) }
            return value
        case .decimal:
            return UInt64(String(decoding: bytes[field.offset..<(field.offset + field.width)], as: UTF8.self)) ?? 0
        }
    }

    private func writeLittleEndian(_ bytes: inout [UInt8], at offset: Int, width: Int, value: UInt64) {
        for k in 0..<width where offset + k < bytes.count {
            bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k)))
        }
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        var v = value
        repeat {
            var byte = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            out.append(byte)
        } while v != 0
        return out
    }
}

/// Recomputes the CRC-32 of every stored (uncompressed) ZIP member whose sizes are consistent,
/// in its local header and its central directory entry.
enum ZipChecksums {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func fix(_ bytes: inout [UInt8]) {
        guard bytes.count >= 30 else { return }
        var crcs: [Int: UInt32] = [:] // local header offset → CRC
        for i in 0..<(bytes.count - 30) where bytes[i] == 0x50 && bytes[i + 1] == 0x4B && bytes[i + 2] == 3 && bytes[i + 3] == 4 {
            let method = le(bytes, i + 8, 2), size = le(bytes, i + 18, 4)
            let start = i + 30 + le(bytes, i + 26, 2) + le(bytes, i + 28, 2)
            guard method == 0, start + size <= bytes.count else { continue }
            let crc = crc32(bytes[start..<(start + size)])
            put(&bytes, i + 14, crc)
            crcs[i] = crc
        }
        for i in 0..<max(0, bytes.count - 46) where bytes[i] == 0x50 && bytes[i + 1] == 0x4B && bytes[i + 2] == 1 && bytes[i + 3] == 2 {
            if let crc = crcs[le(bytes, i + 42, 4)] { put(&bytes, i + 16, crc) }
        }
    }

    private static func le(_ bytes: [UInt8], _ at: Int, _ width: Int) -> Int {
        var value = 0
        for k in 0..<width { value |= Int(bytes[at + k]) << (8 * k) }
        return value
    }

    private static func put(_ bytes: inout [UInt8], _ at: Int, _ value: UInt32) {
        for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
    }
}
