/// Element types Lathe understands. Floating types are held in memory as
/// `Float`, integer and boolean types as `Int64`; `DType` remembers what the
/// tensor was stored as, which the size model and `Cast` need.
public enum DType: String, Sendable, Codable, CaseIterable {
    case float32, float16, bfloat16, float64
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64, bool

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: return true
        default: return false
        }
    }

    /// Bytes one element occupies in a file (bool: one byte, as ONNX stores it).
    public var byteSize: Int {
        switch self {
        case .int8, .uint8, .bool: return 1
        case .float16, .bfloat16, .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
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
        }
    }

    public init?(onnxCode: Int) {
        guard let match = DType.allCases.first(where: { $0.onnxCode == onnxCode }) else { return nil }
        self = match
    }
}
