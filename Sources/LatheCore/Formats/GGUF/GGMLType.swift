/// ggml's tensor types as GGUF numbers them (`enum ggml_type` in ggml.h; the gguf
/// package's `GGML_QUANT_SIZES`): name, elements per block and bytes per block, so
/// every tensor's byte size can be checked, whether Lathe decodes it or only lists it.
public struct GGMLType: Sendable, Hashable {
    public let id: UInt32
    public let name: String
    public let blockElements: Int
    public let blockBytes: Int

    public static let f32 = GGMLType(id: 0, name: "F32", blockElements: 1, blockBytes: 4)
    public static let f16 = GGMLType(id: 1, name: "F16", blockElements: 1, blockBytes: 2)
    public static let q4_0 = GGMLType(id: 2, name: "Q4_0", blockElements: 32, blockBytes: 18)
    public static let q4_1 = GGMLType(id: 3, name: "Q4_1", blockElements: 32, blockBytes: 20)
    public static let q5_0 = GGMLType(id: 6, name: "Q5_0", blockElements: 32, blockBytes: 22)
    public static let q5_1 = GGMLType(id: 7, name: "Q5_1", blockElements: 32, blockBytes: 24)
    public static let q8_0 = GGMLType(id: 8, name: "Q8_0", blockElements: 32, blockBytes: 34)
    public static let bf16 = GGMLType(id: 30, name: "BF16", blockElements: 1, blockBytes: 2)

    /// Every type of ggml.h Lathe knows the size of (QK_K = 256 for the k- and i-quants).
    public static let all: [GGMLType] = [
        f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0,
        GGMLType(id: 9, name: "Q8_1", blockElements: 32, blockBytes: 40),
        GGMLType(id: 10, name: "Q2_K", blockElements: 256, blockBytes: 84),
        GGMLType(id: 11, name: "Q3_K", blockElements: 256, blockBytes: 110),
        GGMLType(id: 12, name: "Q4_K", blockElements: 256, blockBytes: 144),
        GGMLType(id: 13, name: "Q5_K", blockElements: 256, blockBytes: 176),
        GGMLType(id: 14, name: "Q6_K", blockElements: 256, blockBytes: 210),
        GGMLType(id: 15, name: "Q8_K", blockElements: 256, blockBytes: 292),
        GGMLType(id: 16, name: "IQ2_XXS", blockElements: 256, blockBytes: 66),
        GGMLType(id: 17, name: "IQ2_XS", blockElements: 256, blockBytes: 74),
        GGMLType(id: 18, name: "IQ3_XXS", blockElements: 256, blockBytes: 98),
        GGMLType(id: 19, name: "IQ1_S", blockElements: 256, blockBytes: 50),
        GGMLType(id: 20, name: "IQ4_NL", blockElements: 32, blockBytes: 18),
        GGMLType(id: 21, name: "IQ3_S", blockElements: 256, blockBytes: 110),
        GGMLType(id: 22, name: "IQ2_S", blockElements: 256, blockBytes: 82),
        GGMLType(id: 23, name: "IQ4_XS", blockElements: 256, blockBytes: 136),
        GGMLType(id: 24, name: "I8", blockElements: 1, blockBytes: 1),
        GGMLType(id: 25, name: "I16", blockElements: 1, blockBytes: 2),
        GGMLType(id: 26, name: "I32", blockElements: 1, blockBytes: 4),
        GGMLType(id: 27, name: "I64", blockElements: 1, blockBytes: 8),
        GGMLType(id: 28, name: "F64", blockElements: 1, blockBytes: 8),
        GGMLType(id: 29, name: "IQ1_M", blockElements: 256, blockBytes: 56),
        bf16,
        GGMLType(id: 34, name: "TQ1_0", blockElements: 256, blockBytes: 54),
        GGMLType(id: 35, name: "TQ2_0", blockElements: 256, blockBytes: 66),
        GGMLType(id: 39, name: "MXFP4", blockElements: 32, blockBytes: 17),
    ]

    public static func known(id: UInt32) -> GGMLType? { all.first { $0.id == id } }

    /// How Lathe treats a tensor of this type.
    public var encoding: TensorEncoding {
        switch id {
        case Self.f32.id: return .float(.float32)
        case Self.f16.id: return .float(.float16)
        case Self.bf16.id: return .float(.bfloat16)
        case Self.q4_0.id, Self.q4_1.id, Self.q5_0.id, Self.q5_1.id, Self.q8_0.id: return .blocks(self)
        case 24, 25, 26, 27: return .integer(name)
        default: return .unsupported(name)
        }
    }
}
