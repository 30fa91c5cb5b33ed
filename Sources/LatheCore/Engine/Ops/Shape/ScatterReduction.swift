/// The `reduction` attribute of ScatterElements and ScatterND (add and mul
/// from opset 16, max and min from 18): how an update combines with the value
/// it lands on. nil for "none", where the update replaces it.
enum ScatterReduction {
    static func float(_ node: Node) throws -> ((Float, Float) -> Float)? {
        switch try name(node) {
        case "add": return { $0 + $1 }
        case "mul": return { $0 * $1 }
        case "max": return { Swift.max($0, $1) }
        case "min": return { Swift.min($0, $1) }
        default: return nil
        }
    }

    /// Integers of `dtype`: uint64 is held as its bit pattern, so max and min compare it unsigned; sums and
    /// products wrap (the caller wraps the result to the type's width).
    static func integer(_ node: Node, dtype: DType) throws -> ((Int64, Int64) -> Int64)? {
        let unsigned = dtype == .uint64
        switch try name(node) {
        case "add": return { $0 &+ $1 }
        case "mul": return { $0 &* $1 }
        case "max": return unsigned ? { UInt64(bitPattern: $0) >= UInt64(bitPattern: $1) ? $0 : $1 } : { Swift.max($0, $1) }
        case "min": return unsigned ? { UInt64(bitPattern: $0) <= UInt64(bitPattern: $1) ? $0 : $1 } : { Swift.min($0, $1) }
        default: return nil
        }
    }

    private static func name(_ node: Node) throws -> String {
        let reduction = node.string("reduction") ?? "none"
        guard ["none", "add", "mul", "max", "min"].contains(reduction) else {
            throw node.kernelError("unsupported reduction '\(reduction)' (expected none, add, mul, max or min)")
        }
        return reduction
    }
}
