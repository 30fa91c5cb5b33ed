import Foundation

/// Sin, Cos (floating types) and Sign (every numeric type).
extension UnaryMath {
    static let sin: Kernel = { node, inputs in try Unary.floating(node, inputs) { Foundation.sin($0) } }
    static let cos: Kernel = { node, inputs in try Unary.floating(node, inputs) { Foundation.cos($0) } }

    /// −1, 0 or 1 by the sign of each element; NaN stays NaN (as onnxruntime
    /// returns it) and −0 gives 0. uint64, held as its bit pattern, is never negative.
    static let sign: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "input")
        if x.isFloat {
            return [.floating(shape: x.shape, Unary.map(x.floats) { $0.isNaN ? $0 : ($0 > 0 ? 1 : ($0 < 0 ? -1 : 0)) },
                              dtype: x.dtype)]
        }
        let unsigned = x.dtype == .uint64
        return [.integer(shape: x.shape, Unary.map(x.ints) { $0 == 0 ? 0 : ($0 > 0 || unsigned ? 1 : -1) },
                         dtype: x.dtype)]
    }
}
