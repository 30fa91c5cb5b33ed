import CBLAS

/// ONNX MatMul with numpy semantics: 1-D operands are promoted (a row vector
/// on the left, a column vector on the right) and the added axis removed from
/// the result; leading (batch) axes broadcast. When the right operand is a
/// single matrix, the left operand's batch folds into one large GEMM; otherwise
/// one GEMM runs per broadcast batch index. Integer operands (rare: shape
/// arithmetic) use a plain loop in Int64.
enum MatMulKernel {
    static func run(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let a = try node.input(0, of: inputs, "A")
        let b = try node.input(1, of: inputs, "B")
        guard a.rank >= 1, b.rank >= 1 else {
            throw node.kernelError("operands \(shapeText(a.shape)) and \(shapeText(b.shape)) must have rank 1 or more")
        }
        guard a.isFloat == b.isFloat else {
            throw node.kernelError("operand types differ (\(a.dtype.rawValue) and \(b.dtype.rawValue))")
        }
        let aShape = a.rank == 1 ? [1, a.shape[0]] : a.shape
        let bShape = b.rank == 1 ? [b.shape[0], 1] : b.shape
        let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1]
        let kb = bShape[bShape.count - 2], n = bShape[bShape.count - 1]
        guard k == kb else {
            throw node.kernelError("inner dimensions differ: \(shapeText(a.shape)) × \(shapeText(b.shape))")
        }
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        guard let batch = broadcastShape([aBatch, bBatch]) else {
            throw node.kernelError("batch axes \(shapeText(aBatch)) and \(shapeText(bBatch)) do not broadcast")
        }
        var outShape = batch
        if a.rank > 1 { outShape.append(m) }
        if b.rank > 1 { outShape.append(n) }
        let batchCount = batch.reduce(1, *)
        let aOffsets = batchOffsets(aBatch, in: batch, matrix: m * k)
        let bOffsets = batchOffsets(bBatch, in: batch, matrix: k * n)

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
                    if bBatch.reduce(1, *) == 1 && aBatch.reduce(1, *) == batchCount {
                        // [..., M, K] × [K, N]: the batch is just more rows.
                        sgemm(ap, bp, y, m: batchCount * m, k: k, n: n)
                    } else {
                        for i in 0..<batchCount {
                            sgemm(ap + aOffsets[i], bp + bOffsets[i], y + i * m * n, m: m, k: k, n: n)
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
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(k), b, Int32(n), 0, y, Int32(n))
    }

    /// Element offset of each operand matrix for every index of the broadcast batch.
    static func batchOffsets(_ own: [Int], in batch: [Int], matrix: Int) -> [Int] {
        let count = batch.reduce(1, *)
        let padded = [Int](repeating: 1, count: batch.count - own.count) + own
        let ownStrides = rowMajorStrides(padded)
        var offsets = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: batch.count)
        for i in 0..<count {
            var offset = 0
            for axis in 0..<batch.count where padded[axis] != 1 { offset += index[axis] * ownStrides[axis] }
            offsets[i] = offset * matrix
            var axis = batch.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < batch[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return offsets
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
