/// The header of a `.npy` array: dtype descriptor, memory order and shape,
/// stored as a Python dict literal after the magic string and version.
/// Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
struct NPYHeader: Equatable {
    var dtype: DType
    /// True for `>` descriptors: elements are big-endian and need swapping.
    var bigEndian: Bool
    var fortranOrder: Bool
    var shape: [Int]

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // "\x93NUMPY"

    /// The descriptor numpy writes for `dtype`. numpy has no bfloat16, so it is stored as float32 (exact),
    /// nor 4-bit integers, stored as 8-bit ones.
    static func descriptor(for dtype: DType) -> String {
        switch dtype {
        case .float32, .bfloat16: return "<f4"
        case .float16: return "<f2"
        case .float64: return "<f8"
        case .int8, .int4: return "|i1"
        case .uint8, .uint4: return "|u1"
        case .bool: return "|b1"
        case .int16: return "<i2"
        case .uint16: return "<u2"
        case .int32: return "<i4"
        case .uint32: return "<u4"
        case .int64: return "<i8"
        case .uint64: return "<u8"
        }
    }

    /// Parses a descriptor such as `<f4`, `|u1`, `>i8`, `|b1`.
    static func parseDescriptor(_ text: String) throws(NPYHeaderProblem) -> (dtype: DType, bigEndian: Bool) {
        let chars = Array(text)
        guard chars.count >= 2 else { throw NPYHeaderProblem("unsupported dtype '\(text)'") }
        var index = 0
        var bigEndian = false
        switch chars[0] {
        case "<", "=", "|": index = 1 // "=" is native order, little-endian on every platform Lathe runs on
        case ">": index = 1; bigEndian = true
        default: break
        }
        let code = String(chars[index...])
        let dtype: DType
        switch code {
        case "f2", "e": dtype = .float16
        case "f4", "f": dtype = .float32
        case "f8", "d": dtype = .float64
        case "i1", "b": dtype = .int8
        case "u1", "B": dtype = .uint8
        case "b1", "?": dtype = .bool
        case "i2", "h": dtype = .int16
        case "u2", "H": dtype = .uint16
        case "i4", "i": dtype = .int32
        case "u4", "I": dtype = .uint32
        case "i8", "q", "l": dtype = .int64
        case "u8", "Q", "L": dtype = .uint64
        default:
            throw NPYHeaderProblem("unsupported dtype '\(text)' (supported: float16/32/64, int8/16/32/64, "
                + "uint8/16/32/64, bool)")
        }
        return (dtype, bigEndian && dtype.byteSize > 1)
    }

    /// The dict literal numpy writes (without padding).
    var dictionaryText: String {
        let dims: String
        switch shape.count {
        case 0: dims = "()"
        case 1: dims = "(\(shape[0]),)"
        default: dims = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        let order = fortranOrder ? "True" : "False"
        return "{'descr': '\(NPYHeader.descriptor(for: dtype))', 'fortran_order': \(order), 'shape': \(dims), }"
    }
}

struct NPYHeaderProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Parses the header dict literal: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
/// Only the literal forms numpy writes are accepted (strings, True/False, tuples of integers).
struct NPYHeaderParser {
    private let chars: [Character]
    private var position = 0

    init(_ text: String) { chars = Array(text) }

    mutating func parse() throws(NPYHeaderProblem) -> NPYHeader {
        var descr: String?
        var fortran: Bool?
        var shape: [Int]?
        try expect("{")
        while true {
            skipSpace()
            if peek() == "}" { position += 1; break }
            let key = try parseString()
            try expect(":")
            skipSpace()
            switch key {
            case "descr":
                guard peek() == "'" || peek() == "\"" else {
                    throw NPYHeaderProblem("structured dtypes are not supported (descr is not a simple type)")
                }
                descr = try parseString()
            case "fortran_order": fortran = try parseBool()
            case "shape": shape = try parseShape()
            default: throw NPYHeaderProblem("unexpected header key '\(key)'")
            }
            skipSpace()
            if peek() == "," { position += 1; continue }
            try expect("}")
            break
        }
        guard let descr, let fortran, let shape else {
            throw NPYHeaderProblem("header lacks descr, fortran_order or shape")
        }
        let parsed = try NPYHeader.parseDescriptor(descr)
        return NPYHeader(dtype: parsed.dtype, bigEndian: parsed.bigEndian, fortranOrder: fortran, shape: shape)
    }

    private func peek() -> Character? { position < chars.count ? chars[position] : nil }

    private mutating func skipSpace() {
        while let c = peek(), c == " " || c == "\t" || c == "\n" || c == "\r" { position += 1 }
    }

    private mutating func expect(_ c: Character) throws(NPYHeaderProblem) {
        skipSpace()
        guard peek() == c else { throw NPYHeaderProblem("malformed header: expected '\(c)' at offset \(position)") }
        position += 1
    }

    private mutating func parseString() throws(NPYHeaderProblem) -> String {
        skipSpace()
        guard let quote = peek(), quote == "'" || quote == "\"" else {
            throw NPYHeaderProblem("malformed header: expected a string at offset \(position)")
        }
        position += 1
        var value = ""
        while let c = peek(), c != quote {
            value.append(c)
            position += 1
        }
        guard peek() == quote else { throw NPYHeaderProblem("malformed header: unterminated string") }
        position += 1
        return value
    }

    private mutating func parseBool() throws(NPYHeaderProblem) -> Bool {
        if matchWord("True") { return true }
        if matchWord("False") { return false }
        throw NPYHeaderProblem("malformed header: fortran_order is not True or False")
    }

    private mutating func matchWord(_ word: String) -> Bool {
        let letters = Array(word)
        guard position + letters.count <= chars.count, Array(chars[position..<position + letters.count]) == letters
        else { return false }
        position += letters.count
        return true
    }

    private mutating func parseShape() throws(NPYHeaderProblem) -> [Int] {
        try expect("(")
        var dims: [Int] = []
        while true {
            skipSpace()
            if peek() == ")" { position += 1; return dims }
            var digits = ""
            while let c = peek(), c.isASCII, c.isNumber { digits.append(c); position += 1 }
            if peek() == "L" { position += 1 } // Python 2 long suffix
            guard !digits.isEmpty else {
                throw NPYHeaderProblem("malformed header: shape holds something other than non-negative integers")
            }
            guard let dim = Int(digits) else { throw NPYHeaderProblem("shape dimension \(digits) is too large") }
            dims.append(dim)
            skipSpace()
            if peek() == "," { position += 1 }
            else if peek() != ")" { throw NPYHeaderProblem("malformed header: bad shape tuple") }
        }
    }
}
