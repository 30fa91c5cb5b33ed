/// Element types Lathe understands. Floating types are held in memory as
/// `Float`, integer and boolean types as `Int64`; `DType` remembers what the
/// tensor was stored as, which the size model and `Cast` need. `int4`/`uint4`
/// are stored two per byte in files (low nibble first).
public enum DType: String, Sendable, Codable, CaseIterable {
    case float32, float16, bfloat16, float64
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64, bool
    case int4, uint4

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: return true
        default: return false
        }
    }

    /// Bytes one element occupies in a file (bool: one byte, as ONNX stores it); 4-bit types
    /// round up to one byte here: `bits` and `packedBytes(count:)` give their packed size.
    public var byteSize: Int {
        switch self {
        case .int8, .uint8, .bool, .int4, .uint4: return 1
        case .float16, .bfloat16, .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }

    /// Bits one element occupies in a file.
    public var bits: Int {
        switch self {
        case .int4, .uint4: return 4
        default: return 8 * byteSize
        }
    }

    /// Bytes `count` elements occupy in a file (4-bit types packed two per byte).
    public func packedBytes(count: Int) -> Int { (count * bits + 7) / 8 }

    /// Whether values are stored packed several per byte.
    public var isSubByte: Bool { bits < 8 }

    /// The integer range of an integer dtype (nil for floating types and bool).
    public var integerRange: ClosedRange<Int64>? {
        switch self {
        case .int4: return -8...7
        case .uint4: return 0...15
        case .int8: return -128...127
        case .uint8: return 0...255
        case .int16: return -32768...32767
        case .uint16: return 0...65535
        case .int32: return Int64(Int32.min)...Int64(Int32.max)
        case .uint32: return 0...Int64(UInt32.max)
        case .int64, .uint64: return Int64.min...Int64.max
        case .float32, .float16, .bfloat16, .float64, .bool: return nil
        }
    }

    /// ONNX `TensorProto.DataType` code.
    public var onnxCode: Int {
        switch self {
        case .float32: return 1
        case .uint8: return 2
        case .int8: return 3
        case .uint16: return 4
        case .int16: return 5
        case .int32: return 6
        case .int64: return 7
        case .bool: return 9
        case .float16: return 10
        case .float64: return 11
        case .uint32: return 12
        case .uint64: return 13
        case .bfloat16: return 16
        case .uint4: return 21
        case .int4: return 22
        }
    }

    public init?(onnxCode: Int) {
        guard let match = DType.allCases.first(where: { $0.onnxCode == onnxCode }) else { return nil }
        self = match
    }
}
