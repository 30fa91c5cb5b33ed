/// safetensors dtype names and the bytes one element occupies. F32, F16 and BF16 are read as
/// floats; the integer types are listed (not described or compressed); the other dtypes the format
/// defines are listed by name. A name outside the format is an error.
enum SafetensorsDType {
    static func encoding(_ name: String) -> (encoding: TensorEncoding, width: Int)? {
        switch name {
        case "F32": return (.float(.float32), 4)
        case "F16": return (.float(.float16), 2)
        case "BF16": return (.float(.bfloat16), 2)
        case "I8", "U8", "BOOL": return (.integer(name), 1)
        case "I16", "U16": return (.integer(name), 2)
        case "I32", "U32": return (.integer(name), 4)
        case "I64", "U64": return (.integer(name), 8)
        case "F64": return (.unsupported(name), 8)
        case "F8_E5M2", "F8_E4M3", "F8_E8M0": return (.unsupported(name), 1)
        default: return nil
        }
    }
}
