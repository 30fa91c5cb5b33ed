import Foundation

/// Mod with numpy broadcasting. `fmod = 0` (the default) is the remainder
/// with the divisor's sign, as Python's `%` (A − floor(A / B) · B); `fmod = 1`
/// is C's `fmod` / `%`, with the dividend's sign. Floating inputs with
/// `fmod = 0` follow the current ONNX spec and its special cases (onnxruntime
/// 1.32 still refuses them).
enum Mod {
    /// A − floor(A / B) · B for floats, from fmod: a nonzero remainder whose sign differs from B's moves by B
    /// (so x finite and B = ±inf of the other sign gives B), and a zero remainder takes B's sign. NaN and
    /// infinite A, or a zero B, give NaN through fmod.
    @inline(__always)
    static func flooredRemainder(_ x: Float, _ y: Float) -> Float {
        let r = Foundation.fmod(x, y)
        if r == 0 { return Float(signOf: y, magnitudeOf: 0) }
        return (r < 0) != (y < 0) ? r + y : r
    }

    static let mod: Kernel = { node, inputs in
        let a = try node.input(0, of: inputs, "A"), b = try node.input(1, of: inputs, "B")
        let dtype = try Arithmetic.commonType(node, [a, b])
        let plan = try Arithmetic.plan(node, [a, b])
        let fmod = node.int("fmod", default: 0)
        guard fmod == 0 || fmod == 1 else { throw node.kernelError("fmod \(fmod) must be 0 or 1") }
        if dtype.isFloatingPoint {
            let values = fmod == 1
                ? Broadcasting.map(a.floats, b.floats, plan: plan) { Foundation.fmod($0, $1) }
                : Broadcasting.map(a.floats, b.floats, plan: plan, flooredRemainder)
            return [.floating(shape: plan.outputShape, values, dtype: dtype)]
        }
        // A zero divisor would trap (and onnxruntime's result is undefined): refuse it.
        if plan.outputShape.reduce(1, *) > 0, b.ints.contains(0) {
            throw node.kernelError("integer modulo by zero (divisor shape \(shapeText(b.shape)))")
        }
        let values: [Int64]
        if dtype == .uint64 {
            // Held as bit patterns: the remainder of the unsigned values (both conventions agree).
            values = Broadcasting.map(a.ints, b.ints, plan: plan) {
                Int64(bitPattern: UInt64(bitPattern: $0) % UInt64(bitPattern: $1))
            }
        } else if fmod == 1 {
            values = Broadcasting.map(a.ints, b.ints, plan: plan) { $0.remainderReportingOverflow(dividingBy: $1).partialValue }
        } else {
            values = Broadcasting.map(a.ints, b.ints, plan: plan) { x, y in
                let r = x.remainderReportingOverflow(dividingBy: y).partialValue
                return r != 0 && (r < 0) != (y < 0) ? r &+ y : r
            }
        }
        return [.integer(shape: plan.outputShape, values, dtype: dtype)]
    }
}
