/// A number stored in an input at a known place, which a structure-aware mutation rewrites:
/// the length a file claims for something is where readers trust data they should check.
struct Field: Equatable {
    enum Encoding: Equatable {
        /// Protobuf base-128 varint of `width` bytes.
        case varint
        case littleEndian
        /// Decimal digits (text formats, `.npy` header dicts).
        case decimal
    }

    var offset: Int
    var width: Int
    var encoding: Encoding
}

/// Finds the fields of the kinds a target asks for.
enum FieldScanner {
    static func fields(in bytes: [UInt8], kinds: FieldKinds) -> [Field] {
        var fields: [Field] = []
        if kinds.contains(.protobuf) { ProtobufFields.scan(bytes, from: 0, to: bytes.count, depth: 0, into: &fields) }
        if kinds.contains(.zip) { fields += ZipFields.scan(bytes) }
        if kinds.contains(.npy) { fields += NPYFields.scan(bytes) }
        if kinds.contains(.text) { fields += decimalRuns(bytes, from: 0, to: bytes.count) }
        if kinds.contains(.littleEndian) { fields += LittleEndianFields.scan(bytes) }
        return fields
    }

    /// Every run of ASCII digits in `from..<to`.
    static func decimalRuns(_ bytes: [UInt8], from: Int, to: Int) -> [Field] {
        var fields: [Field] = []
        var i = from
        while i < to {
            if bytes[i] >= 0x30, bytes[i] <= 0x39 {
                var j = i
                while j < to, bytes[j] >= 0x30, bytes[j] <= 0x39 { j += 1 }
                fields.append(Field(offset: i, width: j - i, encoding: .decimal))
                i = j
            } else {
                i += 1
            }
        }
        return fields
    }
}

/// Protobuf wire format: every varint, length prefix and fixed-width number of a message,
/// descending into length-delimited payloads that parse as messages themselves.
enum ProtobufFields {
    static let maxFields = 20_000

    static func scan(_ bytes: [UInt8], from start: Int, to end: Int, depth: Int, into fields: inout [Field]) {
        var i = start
        while i < end, fields.count < maxFields {
            guard let (tag, tagWidth) = varint(bytes, at: i, end: end), tag >> 3 != 0 else { return }
            i += tagWidth
            switch tag & 7 {
            case 0:
                guard let (_, width) = varint(bytes, at: i, end: end) else { return }
                fields.append(Field(offset: i, width: width, encoding: .varint))
                i += width
            case 1:
                guard i + 8 <= end else { return }
                fields.append(Field(offset: i, width: 8, encoding: .littleEndian))
                i += 8
            case 2:
                guard let (length, width) = varint(bytes, at: i, end: end), length <= UInt64(end - i - width) else { return }
                fields.append(Field(offset: i, width: width, encoding: .varint))
                let payload = i + width
                i = payload + Int(length)
                if depth < 12, length > 1, parses(bytes, from: payload, to: i) {
                    scan(bytes, from: payload, to: i, depth: depth + 1, into: &fields)
                }
            case 5:
                guard i + 4 <= end else { return }
                fields.append(Field(offset: i, width: 4, encoding: .littleEndian))
                i += 4
            default:
                return
            }
        }
    }

    /// Whether `start..<end` reads as a sequence of well-formed fields (a submessage, not bytes or text).
    static func parses(_ bytes: [UInt8], from start: Int, to end: Int) -> Bool {
        var i = start
        var count = 0
        while i < end {
            guard let (tag, tagWidth) = varint(bytes, at: i, end: end), tag >> 3 != 0, tag >> 3 < 64 else { return false }
            i += tagWidth
            switch tag & 7 {
            case 0:
                guard let (_, width) = varint(bytes, at: i, end: end) else { return false }
                i += width
            case 1: i += 8
            case 2:
                guard let (length, width) = varint(bytes, at: i, end: end), length <= UInt64(end - i - width) else {
                    return false
                }
                i += width + Int(length)
            case 5: i += 4
            default: return false
            }
            count += 1
            if count > 10_000 { return false }
        }
        return i == end
    }

    static func varint(_ bytes: [UInt8], at start: Int, end: Int) -> (UInt64, Int)? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var i = start
        while i < end, i - start < 10 {
            let byte = bytes[i]
            value |= UInt64(byte & 0x7F) << shift
            i += 1
            if byte & 0x80 == 0 { return (value, i - start) }
            shift += 7
        }
        return nil
    }
}

/// ZIP: sizes, counts, offsets and name lengths of local headers, central directory entries
/// and the end-of-central-directory record, wherever their signatures appear.
enum ZipFields {
    /// (signature, [(offset, width)]) per record kind.
    static let records: [([UInt8], [(Int, Int)])] = [
        ([0x50, 0x4B, 0x03, 0x04], [(8, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)]),
        ([0x50, 0x4B, 0x01, 0x02], [(10, 2), (16, 4), (20, 4), (24, 4), (28, 2), (30, 2), (32, 2), (42, 4)]),
        ([0x50, 0x4B, 0x05, 0x06], [(4, 2), (6, 2), (8, 2), (10, 2), (12, 4), (16, 4), (20, 2)]),
        // ZIP64 end record and locator.
        ([0x50, 0x4B, 0x06, 0x06], [(4, 8), (24, 8), (32, 8), (40, 8), (48, 8)]),
        ([0x50, 0x4B, 0x06, 0x07], [(8, 8), (16, 4)]),
    ]

    static func scan(_ bytes: [UInt8]) -> [Field] {
        var fields: [Field] = []
        guard bytes.count >= 4 else { return fields }
        for i in 0..<(bytes.count - 3) where bytes[i] == 0x50 && bytes[i + 1] == 0x4B {
            for (signature, offsets) in records where bytes[i + 2] == signature[2] && bytes[i + 3] == signature[3] {
                for (offset, width) in offsets where i + offset + width <= bytes.count {
                    fields.append(Field(offset: i + offset, width: width, encoding: .littleEndian))
                }
            }
        }
        return fields
    }
}

/// `.npy` headers wherever the magic string appears: the header length and the numbers of the dict.
enum NPYFields {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    static func scan(_ bytes: [UInt8]) -> [Field] {
        var fields: [Field] = []
        guard bytes.count >= 10 else { return fields }
        var i = 0
        while i + 10 <= bytes.count {
            guard bytes[i] == magic[0], Array(bytes[i..<(i + 6)]) == magic else { i += 1; continue }
            let wide = bytes[i + 6] >= 2
            fields.append(Field(offset: i + 8, width: wide ? 4 : 2, encoding: .littleEndian))
            let dict = i + (wide ? 12 : 10)
            let end = min(bytes.count, dict + 512)
            if dict < end { fields += FieldScanner.decimalRuns(bytes, from: dict, to: end) }
            i += 6
        }
        return fields
    }
}

/// Header-length-prefixed formats (safetensors: an 8-byte header length, then JSON; GGUF: counts
/// after the magic): the first little-endian u64s of the file, and numbers in any JSON header.
enum LittleEndianFields {
    static func scan(_ bytes: [UInt8]) -> [Field] {
        var fields: [Field] = []
        for offset in stride(from: 0, to: min(bytes.count - 7, 32), by: 4) where offset >= 0 {
            fields.append(Field(offset: offset, width: 8, encoding: .littleEndian))
            fields.append(Field(offset: offset, width: 4, encoding: .littleEndian))
        }
        fields += FieldScanner.decimalRuns(bytes, from: 0, to: min(bytes.count, 64 * 1024))
        return fields
    }
}
