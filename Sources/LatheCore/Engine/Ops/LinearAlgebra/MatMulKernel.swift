import CLatheBLAS

/// ONNX MatMul with numpy semantics: 1-D operands are promoted (a row vector
/// on the left, a column vector on the right) and the added axis removed from
/// the result; leading (batch) axes broadcast. When the right operand is a
/// single matrix, the left operand's batch folds into one large GEMM; otherwise
/// one GEMM runs per broadcast batch index. Integer operands (rare: shape
/// arithmetic) use a plain loop in Int64.
enum MatMulKernel {
    static func run(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        try run(node, inputs, memo: nil)
    }

    /// The kernel of a step that keeps its geometry in `memo` (`OpRegistry.perStepKernels`).
    static func kernel(geometryMemo memo: ShapePairMemo<MatMulGeometry>) -> Kernel {
        { node, inputs in try run(node, inputs, memo: memo) }
    }

    private static func run(_ node: Node, _ inputs: [Tensor?], memo: ShapePairMemo<MatMulGeometry>?) throws -> [Tensor] {
        let a = try node.input(0, of: inputs, "A")
        let b = try node.input(1, of: inputs, "B")
        let geometry = try memo?.value(a, b) { try MatMulGeometry(node: node, a: a, b: b) }
            ?? MatMulGeometry(node: node, a: a, b: b)
        guard a.isFloat == b.isFloat else {
            throw node.kernelError("operand types differ (\(a.dtype.rawValue) and \(b.dtype.rawValue))")
        }
        let (m, k, n) = (geometry.m, geometry.k, geometry.n)
        let outShape = geometry.outputShape
        let batchCount = geometry.batchCount
        let aOffsets = geometry.aOffsets, bOffsets = geometry.bOffsets

        guard a.isFloat else {
            let result = integerProduct(a.ints, b.ints, m: m, k: k, n: n, aOffsets: aOffsets, bOffsets: bOffsets)
            return [Tensor(shape: outShape, ints: result, dtype: a.dtype)]
        }
        let total = batchCount * m * n
        let result = a.floats.withUnsafeBufferPointer { aBuf in
            b.floats.withUnsafeBufferPointer { bBuf in
                [Float](unsafeUninitializedCapacity: total) { yBuf, initialized in
                    defer { initialized = total }
                    guard let y = yBuf.baseAddress else { return }
                    guard k > 0, let ap = aBuf.baseAddress, let bp = bBuf.baseAddress else {
                        y.initialize(repeating: 0, count: total)
                        return
                    }
                    if geometry.bBatch.reduce(1, *) == 1 && geometry.aBatch.reduce(1, *) == batchCount {
                        // [..., M, K] × [K, N]: the batch is just more rows.
                        if batchCount * m == 1 {
                            rowTimesMatrix(ap, bp, y, k: k, n: n)
                        } else {
                            sgemm(ap, bp, y, m: batchCount * m, k: k, n: n)
                        }
                    } else {
                        // Independent products: split them across workers before splitting any one.
                        OpParallelism.forEachPart(of: batchCount, work: batchCount * m * n * k) { products in
                            for i in products {
                                sgemm(ap + aOffsets[i], bp + bOffsets[i], y + i * m * n, m: m, k: k, n: n)
                            }
                        }
                    }
                }
            }
        }
        return [Tensor(shape: outShape, floats: result, dtype: a.dtype)]
    }

    @inline(__always)
    static func sgemm(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                      m: Int, k: Int, n: Int) {
        ParallelGemm.sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: y, ldc: n)
    }

    /// y [n] = x [k] · B [k, n] as one matrix-vector product. A decoder's step multiplies one state row by
    /// each weight, where sgemm copied (packed) all of B on every call: a table recognizer's 256×768 product
    /// took 65 µs a step. One call, not split across workers, so a value does not depend on the thread count.
    static func rowTimesMatrix(_ x: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               k: Int, n: Int) {
        lathe_sgemv(1, Int32(k), Int32(n), 1, b, Int32(n), x, 1, 0, y, 1)
    }

    static func integerProduct(_ a: [Int64], _ b: [Int64], m: Int, k: Int, n: Int,
                               aOffsets: [Int], bOffsets: [Int]) -> [Int64] {
        var y = [Int64](repeating: 0, count: aOffsets.count * m * n)
        for batch in 0..<aOffsets.count {
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Int64 = 0
                    for p in 0..<k {
                        sum &+= a[aOffsets[batch] + i * k + p] &* b[bOffsets[batch] + p * n + j]
                    }
                    y[batch * m * n + i * n + j] = sum
                }
            }
        }
        return y
    }
}
