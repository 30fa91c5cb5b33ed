import Foundation

/// Elementwise maps over one tensor, written over unsafe buffers so that a
/// kernel's closure literal is inlined into a loop the compiler can
/// vectorise.
enum Unary {
    @inline(__always)
    static func map<T, R>(_ values: [T], _ f: (T) -> R) -> [R] {
        let n = values.count
        if n == 0 { return [] }
        return [R](unsafeUninitializedCapacity: n) { out, count in
            values.withUnsafeBufferPointer { p in
                let o = out.baseAddress!
                for i in 0..<n { (o + i).initialize(to: f(p[i])) }
            }
            count = n
        }
    }

    /// A float-only op (ONNX defines it for floating types only).
    @inline(__always)
    static func floating(_ node: Node, _ inputs: [Tensor?], _ f: (Float) -> Float) throws -> [Tensor] {
        let x = try node.input(0, of: inputs, "X")
        guard x.isFloat else { throw node.kernelError("expects a floating-point input, got \(x.dtype.rawValue)") }
        return [.floating(shape: x.shape, map(x.floats, f), dtype: x.dtype)]
    }

    /// A float-only op that maps the whole array with a loop of its own.
    static func floatingArray(_ node: Node, _ inputs: [Tensor?], _ transform: ([Float]) -> [Float]) throws -> [Tensor] {
        let x = try node.input(0, of: inputs, "X")
        guard x.isFloat else { throw node.kernelError("expects a floating-point input, got \(x.dtype.rawValue)") }
        return [.floating(shape: x.shape, transform(x.floats), dtype: x.dtype)]
    }

    /// An op defined for floating and (signed) integer types.
    @inline(__always)
    static func numeric(_ node: Node, _ inputs: [Tensor?],
                        float: (Float) -> Float, int: (Int64) -> Int64) throws -> [Tensor] {
        let x = try node.input(0, of: inputs, "X")
        if x.isFloat { return [.floating(shape: x.shape, map(x.floats, float), dtype: x.dtype)] }
        return [.integer(shape: x.shape, map(x.ints, int), dtype: x.dtype)]
    }
}

/// Elementwise math: Sqrt, Exp, Log, Neg, Abs, Floor, Ceil, Reciprocal, Erf.
enum UnaryMath {
    static let sqrt: Kernel = { node, inputs in try Unary.floating(node, inputs) { $0.squareRoot() } }
    static let exp: Kernel = { node, inputs in try Unary.floating(node, inputs) { Foundation.exp($0) } }
    static let log: Kernel = { node, inputs in try Unary.floating(node, inputs) { Foundation.log($0) } }
    static let floor: Kernel = { node, inputs in try Unary.floating(node, inputs) { $0.rounded(.down) } }
    static let ceil: Kernel = { node, inputs in try Unary.floating(node, inputs) { $0.rounded(.up) } }
    static let reciprocal: Kernel = { node, inputs in try Unary.floating(node, inputs) { 1 / $0 } }
    /// Within 1.26 ulp (`FastErf`); glibc's erff is a call per element.
    static let erf: Kernel = { node, inputs in try Unary.floatingArray(node, inputs, FastErf.erf) }
    static let neg: Kernel = { node, inputs in try Unary.numeric(node, inputs, float: { -$0 }, int: { 0 &- $0 }) }
    static let abs: Kernel = { node, inputs in
        try Unary.numeric(node, inputs, float: { Swift.abs($0) }, int: { $0 < 0 ? 0 &- $0 : $0 })
    }
}
