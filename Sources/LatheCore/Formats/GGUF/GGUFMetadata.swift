/// GGUF's metadata key–value section. Scalars and strings are kept; arrays (the
/// tokenizer's vocabulary, tens of thousands of strings) are walked to check and skip
/// them and kept only as their element type and count.
public enum GGUFValue: Sendable, Equatable {
    case unsigned(UInt64)
    case signed(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case array(elementType: String, count: Int)

    public var description: String {
        switch self {
        case .unsigned(let v): return String(v)
        case .signed(let v): return String(v)
        case .float(let v): return String(v)
        case .bool(let v): return String(v)
        case .string(let s): return s
        case .array(let type, let count): return "[\(count) × \(type)]"
        }
    }
}

enum GGUFMetadata {
    /// GGUFValueType numbers: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool, 8 string,
    /// 9 array, 10 u64, 11 i64, 12 f64.
    static let typeNames = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"]

    /// Fewest bytes one value of `type` occupies (a string: its length; an array: type and count).
    static func minimumSize(_ type: UInt32) -> Int {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8: return 8
        case 9: return 12
        default: return 8
        }
    }

    static func value(_ cursor: inout GGUFCursor, type: UInt32, key: String, depth: Int = 0) throws -> GGUFValue {
        switch type {
        case 0: return .unsigned(UInt64(try cursor.load(UInt8.self, key)))
        case 1: return .signed(Int64(try cursor.load(Int8.self, key)))
        case 2: return .unsigned(UInt64(try cursor.load(UInt16.self, key)))
        case 3: return .signed(Int64(try cursor.load(Int16.self, key)))
        case 4: return .unsigned(UInt64(try cursor.load(UInt32.self, key)))
        case 5: return .signed(Int64(try cursor.load(Int32.self, key)))
        case 6: return .float(Double(Float(bitPattern: try cursor.load(UInt32.self, key))))
        case 7:
            let byte = try cursor.load(UInt8.self, key)
            guard byte <= 1 else { throw cursor.bad("metadata '\(key)' is a bool holding \(byte)") }
            return .bool(byte == 1)
        case 8: return .string(try cursor.string("metadata '\(key)'"))
        case 10: return .unsigned(try cursor.load(UInt64.self, key))
        case 11: return .signed(try cursor.load(Int64.self, key))
        case 12: return .float(Double(bitPattern: try cursor.load(UInt64.self, key)))
        case 9:
            guard depth < 8 else { throw cursor.bad("metadata '\(key)' nests arrays too deeply") }
            let elementType = try cursor.load(UInt32.self, "metadata '\(key)' array type")
            guard Int(elementType) < typeNames.count else {
                throw cursor.bad("metadata '\(key)' is an array of unknown value type \(elementType)")
            }
            let count = try cursor.count("metadata '\(key)' array count", unit: minimumSize(elementType))
            if elementType != 8 && elementType != 9 {
                try cursor.skip(count * minimumSize(elementType), "metadata '\(key)' array")
            } else {
                for _ in 0..<count { _ = try value(&cursor, type: elementType, key: key, depth: depth + 1) }
            }
            return .array(elementType: typeNames[Int(elementType)], count: count)
        default:
            throw cursor.bad("metadata '\(key)' has unknown value type \(type)")
        }
    }
}
