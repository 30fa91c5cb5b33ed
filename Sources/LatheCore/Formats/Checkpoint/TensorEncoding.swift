/// How a checkpoint stores one tensor's elements, and whether Lathe can read them as numbers.
public enum TensorEncoding: Sendable, Equatable {
    /// float32, float16 or bfloat16, little-endian, one element after another.
    case float(DType)
    /// One of ggml's block formats Lathe dequantizes (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1).
    case blocks(GGMLType)
    /// Integer tensors (token ids, masks, stored int8 weights): listed, not described or compressed.
    case integer(String)
    /// A type Lathe lists by name but does not decode (ggml's k-quants and i-quants, F64).
    case unsupported(String)

    /// The name the file's own format uses (`F16`, `BF16`, `Q4_0`, `I64`, `Q4_K`).
    public var typeName: String {
        switch self {
        case .float(let dtype):
            switch dtype {
            case .float16: return "F16"
            case .bfloat16: return "BF16"
            default: return "F32"
            }
        case .blocks(let type): return type.name
        case .integer(let name), .unsupported(let name): return name
        }
    }

    /// Whether the elements can be read as floats (for statistics, histograms and compression).
    public var isDecodable: Bool {
        switch self {
        case .float, .blocks: return true
        case .integer, .unsupported: return false
        }
    }

    /// Elements per storage block: chunks of a tensor start at multiples of this.
    public var blockElements: Int {
        if case .blocks(let type) = self { return type.blockElements }
        return 1
    }

    /// Bits one element occupies on disk, amortised over its block (Q4_0: 4.5).
    public var bitsPerElement: Double? {
        switch self {
        case .float(let dtype): return Double(dtype.bits)
        case .blocks(let type): return Double(type.blockBytes * 8) / Double(type.blockElements)
        case .integer, .unsupported: return nil
        }
    }
}
