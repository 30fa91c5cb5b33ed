import Foundation
import XCTest
@testable import LatheCore

/// Minimal, obviously-correct reference kernels for the executor's tests
/// (naive loops, float only where the graphs need floats). They let the pass
/// tests run hand-built graphs independently of the production kernels.
enum ExecutorTestKernels {
    struct Failure: Error {}

    static func float(_ inputs: [Tensor?], _ i: Int) throws -> Tensor {
        guard i < inputs.count, let t = inputs[i] else { throw Failure() }
        return t
    }

    /// numpy broadcasting, elementwise over floats.
    static func broadcast(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) throws -> Tensor {
        guard let shape = broadcastShape([a.shape, b.shape]) else { throw Failure() }
        let rank = shape.count
        let aShape = [Int](repeating: 1, count: rank - a.rank) + a.shape
        let bShape = [Int](repeating: 1, count: rank - b.rank) + b.shape
        let aStrides = rowMajorStrides(aShape), bStrides = rowMajorStrides(bShape)
        let count = shape.reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        let af = a.asFloats, bf = b.asFloats
        for flat in 0..<count {
            var rest = flat, ai = 0, bi = 0
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                let index = rest % shape[axis]
                rest /= shape[axis]
                if aShape[axis] != 1 { ai += index * aStrides[axis] }
                if bShape[axis] != 1 { bi += index * bStrides[axis] }
            }
            out[flat] = f(af[ai], bf[bi])
        }
        return Tensor(shape: shape, floats: out)
    }

    static func activation(_ name: String?, alpha: Float, beta: Float, low: Float, high: Float) -> (Float) -> Float {
        switch name {
        case "Relu": return { max($0, 0) }
        case "LeakyRelu": return { $0 < 0 ? alpha * $0 : $0 }
        case "Clip": return { min(max($0, low), high) }
        case "Sigmoid": return { 1 / (1 + exp(-$0)) }
        case "Tanh": return { tanh($0) }
        case "HardSigmoid": return { max(0, min(1, alpha * $0 + beta)) }
        case "HardSwish": return { $0 * max(0, min(1, $0 / 6 + 0.5)) }
        case "SiLU": return { $0 / (1 + exp(-$0)) }
        default: return { $0 }
        }
    }

    static func fused(_ node: Node) -> (Float) -> Float {
        activation(node.string("lathe.activation"), alpha: node.float("lathe.alpha", default: 0),
                   beta: node.float("lathe.beta", default: 0), low: node.float("lathe.min", default: -.infinity),
                   high: node.float("lathe.max", default: .infinity))
    }

    static func unary(_ f: @escaping @Sendable (Float) -> Float) -> Kernel {
        { _, inputs in
            let x = try float(inputs, 0)
            return [Tensor(shape: x.shape, floats: x.floats.map(f))]
        }
    }

    /// 2-D NCHW convolution with groups, strides, pads and dilations.
    static let conv: Kernel = { node, inputs in
        let x = try float(inputs, 0), w = try float(inputs, 1)
        let bias = inputs.count > 2 ? inputs[2] : nil
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (m, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let group = node.int("group", default: 1)
        let s = node.ints("strides") ?? [1, 1], d = node.ints("dilations") ?? [1, 1]
        let p = node.ints("pads") ?? [0, 0, 0, 0]
        let oh = (h + p[0] + p[2] - d[0] * (kh - 1) - 1) / s[0] + 1
        let ow = (wd + p[1] + p[3] - d[1] * (kw - 1) - 1) / s[1] + 1
        guard c == cg * group else { throw Failure() }
        let act = fused(node)
        var out = [Float](repeating: 0, count: n * m * oh * ow)
        let mg = m / group
        for b in 0..<n { for o in 0..<m { for y in 0..<oh { for xx in 0..<ow {
            var acc: Float = bias?.floats[o] ?? 0
            let g = o / mg
            for ci in 0..<cg { for ky in 0..<kh { for kx in 0..<kw {
                let iy = y * s[0] - p[0] + ky * d[0], ix = xx * s[1] - p[1] + kx * d[1]
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                let input = x.floats[((b * c + g * cg + ci) * h + iy) * wd + ix]
                acc += input * w.floats[((o * cg + ci) * kh + ky) * kw + kx]
            } } }
            out[((b * m + o) * oh + y) * ow + xx] = act(acc)
        } } } }
        return [Tensor(shape: [n, m, oh, ow], floats: out)]
    }

    /// 2-D NCHW transposed convolution with groups and strides (no pads).
    static let convTranspose: Kernel = { node, inputs in
        let x = try float(inputs, 0), w = try float(inputs, 1)
        let bias = inputs.count > 2 ? inputs[2] : nil
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (mg, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
        let group = node.int("group", default: 1)
        let s = node.ints("strides") ?? [1, 1]
        let cg = c / group, m = mg * group
        let oh = (h - 1) * s[0] + kh, ow = (wd - 1) * s[1] + kw
        var out = [Float](repeating: 0, count: n * m * oh * ow)
        for b in 0..<n { for ci in 0..<c { for y in 0..<h { for xx in 0..<wd {
            let g = ci / cg
            let input = x.floats[((b * c + ci) * h + y) * wd + xx]
            for j in 0..<mg { for ky in 0..<kh { for kx in 0..<kw {
                let o = g * mg + j
                out[((b * m + o) * oh + y * s[0] + ky) * ow + xx * s[1] + kx]
                    += input * w.floats[((ci * mg + j) * kh + ky) * kw + kx]
            } } }
        } } } }
        let act = fused(node)
        for b in 0..<n { for o in 0..<m { for i in 0..<(oh * ow) {
            let index = (b * m + o) * oh * ow + i
            out[index] = act(out[index] + (bias?.floats[o] ?? 0))
        } } }
        return [Tensor(shape: [n, m, oh, ow], floats: out)]
    }

    static let gemm: Kernel = { node, inputs in
        let a = try float(inputs, 0), b = try float(inputs, 1)
        let c = inputs.count > 2 ? inputs[2] : nil
        let ta = node.int("transA", default: 0) != 0, tb = node.int("transB", default: 0) != 0
        let alpha = node.float("alpha", default: 1), beta = node.float("beta", default: 1)
        let m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1]
        let n = tb ? b.shape[0] : b.shape[1]
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var acc: Float = 0
            for l in 0..<k {
                acc += a.floats[ta ? l * m + i : i * k + l] * b.floats[tb ? j * k + l : l * n + j]
            }
            out[i * n + j] = alpha * acc
        } }
        var y = Tensor(shape: [m, n], floats: out)
        if let c { y = try broadcast(y, c) { $0 + beta * $1 } }
        let act = fused(node)
        y.floats = y.floats.map(act)
        return [y]
    }

    /// numpy matmul for operands of rank ≥ 2 (batch dims broadcast).
    static let matMul: Kernel = { _, inputs in
        let a = try float(inputs, 0), b = try float(inputs, 1)
        guard a.rank >= 2, b.rank >= 2, a.shape[a.rank - 1] == b.shape[b.rank - 2],
              let batch = broadcastShape([Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))])
        else { throw Failure() }
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        let batchCount = batch.reduce(1, *)
        let aBatch = [Int](repeating: 1, count: batch.count - (a.rank - 2)) + a.shape.dropLast(2)
        let bBatch = [Int](repeating: 1, count: batch.count - (b.rank - 2)) + b.shape.dropLast(2)
        var out = [Float](repeating: 0, count: batchCount * m * n)
        for flat in 0..<batchCount {
            var rest = flat, aIndex = 0, bIndex = 0, aStride = 1, bStride = 1
            for axis in stride(from: batch.count - 1, through: 0, by: -1) {
                let i = rest % batch[axis]
                rest /= batch[axis]
                if aBatch[axis] != 1 { aIndex += i * aStride }
                if bBatch[axis] != 1 { bIndex += i * bStride }
                aStride *= aBatch[axis]
                bStride *= bBatch[axis]
            }
            for i in 0..<m { for j in 0..<n {
                var acc: Float = 0
                for l in 0..<k { acc += a.floats[aIndex * m * k + i * k + l] * b.floats[bIndex * k * n + l * n + j] }
                out[(flat * m + i) * n + j] = acc
            } }
        }
        return [Tensor(shape: batch + [m, n], floats: out)]
    }

    static let batchNorm: Kernel = { node, inputs in
        let x = try float(inputs, 0), g = try float(inputs, 1), bt = try float(inputs, 2)
        let mean = try float(inputs, 3), variance = try float(inputs, 4)
        let eps = node.float("epsilon", default: 1e-5)
        let c = x.shape[1], inner = x.count / (x.shape[0] * c)
        var out = x.floats
        for i in 0..<x.count {
            let ch = (i / inner) % c
            out[i] = (x.floats[i] - mean.floats[ch]) / (variance.floats[ch] + eps).squareRoot() * g.floats[ch]
                + bt.floats[ch]
        }
        return [Tensor(shape: x.shape, floats: out)]
    }

    static let shape: Kernel = { _, inputs in
        let x = try float(inputs, 0)
        return [Tensor(shape: [x.rank], ints: x.shape.map(Int64.init))]
    }

    /// Gather on axis 0 of a 1-D int tensor with a scalar or 1-D index.
    static let gather: Kernel = { _, inputs in
        let data = try float(inputs, 0), indices = try float(inputs, 1)
        let picked = try indices.asInts.map { i -> Int64 in
            let index = Int(i < 0 ? i + Int64(data.count) : i)
            guard index >= 0, index < data.count else { throw Failure() }
            return data.asInts[index]
        }
        return [Tensor(shape: indices.shape, ints: picked)]
    }

    /// Concat of 1-D int tensors.
    static let concat: Kernel = { _, inputs in
        let values = inputs.compactMap { $0 }.flatMap(\.asInts)
        return [Tensor(shape: [values.count], ints: values)]
    }

    static let unsqueeze: Kernel = { node, inputs in
        let x = try float(inputs, 0)
        let axes = node.ints("axes") ?? (inputs.count > 1 ? inputs[1]?.asInts.map { Int($0) } : nil) ?? []
        var shape = x.shape
        for axis in axes.sorted() { shape.insert(1, at: axis) }
        var y = x
        y.shape = shape
        return [y]
    }

    static let reshape: Kernel = { _, inputs in
        let x = try float(inputs, 0), target = try float(inputs, 1)
        var shape = target.asInts.enumerated().map { $0.element == 0 ? x.shape[$0.offset] : Int($0.element) }
        if let unknown = shape.firstIndex(of: -1) {
            shape[unknown] = x.count / shape.enumerated().filter { $0.offset != unknown }.reduce(1) { $0 * $1.element }
        }
        guard shape.reduce(1, *) == x.count else { throw Failure() }
        var y = x
        y.shape = shape
        return [y]
    }

    static let clip: Kernel = { node, inputs in
        let x = try float(inputs, 0)
        let low = inputs.count > 1 ? inputs[1]?.asFloats.first ?? -.infinity : -.infinity
        let high = inputs.count > 2 ? inputs[2]?.asFloats.first ?? .infinity : .infinity
        return [Tensor(shape: x.shape, floats: x.floats.map { min(max($0, low), high) })]
    }

    static let table: [String: Kernel] = [
        "Conv": conv, "ConvTranspose": convTranspose, "Gemm": gemm, "MatMul": matMul,
        "BatchNormalization": batchNorm, "Shape": shape, "Gather": gather, "Concat": concat,
        "Unsqueeze": unsqueeze, "Reshape": reshape, "Clip": clip,
        "Add": { _, i in [try broadcast(try float(i, 0), try float(i, 1), +)] },
        "Sub": { _, i in [try broadcast(try float(i, 0), try float(i, 1), -)] },
        "Mul": { _, i in [try broadcast(try float(i, 0), try float(i, 1), *)] },
        "Relu": unary { max($0, 0) },
        "Sigmoid": unary { 1 / (1 + exp(-$0)) },
        "Tanh": unary { tanh($0) },
        "LeakyRelu": { node, i in
            let alpha = node.float("alpha", default: 0.01)
            let x = try float(i, 0)
            return [Tensor(shape: x.shape, floats: x.floats.map { $0 < 0 ? alpha * $0 : $0 })]
        },
        "Identity": { _, i in [try float(i, 0)] },
    ]

    /// Runs `graph` node by node with no passes at all: the reference the
    /// optimised execution must reproduce.
    static func naiveRun(_ graph: Graph, input: (String, Tensor),
                         kernels: [String: Kernel] = table) throws -> [String: Tensor] {
        var values = graph.initializers
        values[input.0] = input.1
        for node in graph.nodes {
            guard let kernel = kernels[node.opType] else { throw Failure() }
            let outputs = try kernel(node, node.inputs.map { $0.isEmpty ? nil : values[$0] })
            for (name, value) in zip(node.outputs, outputs) { values[name] = value }
        }
        return values
    }
}

/// Deterministic pseudo-random floats for test weights (no global RNG state).
struct ExecutorSeededFloats {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> Float {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Float(state >> 40) / Float(1 << 24) * 2 - 1
    }

    static func tensor(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = ExecutorSeededFloats(seed: seed)
        return rng.tensor(shape)
    }

    mutating func tensor(_ shape: [Int], scale: Float = 1, offset: Float = 0) -> Tensor {
        Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in next() * scale + offset })
    }
}

func executorAssertClose(_ a: Tensor, _ b: Tensor, tolerance: Float, file: StaticString = #filePath, line: UInt = #line) {
    guard a.shape == b.shape else {
        XCTFail("shapes differ: \(a.shape) vs \(b.shape)", file: file, line: line)
        return
    }
    let worst = zip(a.asFloats, b.asFloats).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, tolerance, "max abs difference", file: file, line: line)
}

