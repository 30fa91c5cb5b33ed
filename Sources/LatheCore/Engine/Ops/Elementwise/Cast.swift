/// Cast and CastLike. Float → integer truncates toward zero (then wraps to
/// the target width, as C conversions do); to float16/bfloat16 the values are
/// rounded to that precision but stay in `floats`; to bool, non-zero → 1.
enum Cast {
    static let cast: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "input")
        guard let code = node.int("to") else { throw node.kernelError("missing required attribute to") }
        guard let target = DType(onnxCode: code) else { throw node.kernelError("unsupported target type code \(code)") }
        return [convert(x, to: target)]
    }

    static let castLike: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "input")
        let like = try node.input(1, of: inputs, "target_type")
        return [convert(x, to: like.dtype)]
    }

    static func convert(_ x: Tensor, to target: DType) -> Tensor {
        if target == .bool {
            let flags: [Int64] = x.isFloat ? Unary.map(x.floats) { $0 != 0 ? 1 : 0 } : Unary.map(x.ints) { $0 != 0 ? 1 : 0 }
            return .boolean(shape: x.shape, flags)
        }
        if target.isFloatingPoint {
            let values: [Float]
            if x.isFloat {
                values = x.floats
            } else if x.dtype == .uint64 {
                values = Unary.map(x.ints) { Float(UInt64(bitPattern: $0)) }
            } else {
                values = Unary.map(x.ints) { Float($0) }
            }
            return .floating(shape: x.shape, values, dtype: target)
        }
        if x.isFloat {
            return .integer(shape: x.shape, Unary.map(x.floats) { truncated($0, to: target) }, dtype: target)
        }
        return .integer(shape: x.shape, x.ints, dtype: target)
    }

    /// Truncation toward zero; NaN → 0 and out-of-range values saturate
    /// (C leaves them undefined; Lathe must not trap).
    static func truncated(_ value: Float, to target: DType) -> Int64 {
        if value.isNaN { return 0 }
        if target == .uint64, value >= 9.223372036854775807e18 {
            return value >= 1.8446744073709551615e19 ? -1 : Int64(bitPattern: UInt64(value))
        }
        if value >= 9.223372036854775807e18 { return .max }
        if value <= -9.223372036854775808e18 { return .min }
        return Int64(value)
    }
}
