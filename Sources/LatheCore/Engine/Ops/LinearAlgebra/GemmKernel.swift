import CLatheKernels

/// ONNX Gemm: `Y = alpha · A' · B' + beta · C` with A' = transA ? Aᵀ : A,
/// B' = transB ? Bᵀ : B, C optional (opset ≥ 11) and unidirectionally
/// broadcast to [M, N], then the fused activation. C is written into Y first
/// so the product is added to it in the same pass.
enum GemmKernel {
    static func run(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let a = try node.floatInput(inputs, 0, "A")
        let b = try node.floatInput(inputs, 1, "B")
        let c = node.optionalInput(inputs, 2)
        guard a.rank == 2, b.rank == 2 else {
            throw node.kernelError("A \(shapeText(a.shape)) and B \(shapeText(b.shape)) must both be matrices")
        }
        let transA = node.int("transA", default: 0) != 0
        let transB = node.int("transB", default: 0) != 0
        let alpha = node.float("alpha", default: 1)
        let beta = node.float("beta", default: 1)
        let m = transA ? a.shape[1] : a.shape[0]
        let k = transA ? a.shape[0] : a.shape[1]
        let kb = transB ? b.shape[1] : b.shape[0]
        let n = transB ? b.shape[0] : b.shape[1]
        guard k == kb else {
            throw node.kernelError("inner dimensions differ: A' is \(m)×\(k), B' is \(kb)×\(n)")
        }
        if let c {
            guard c.isFloat else { throw node.kernelError("C has type \(c.dtype.rawValue); a floating-point type is needed") }
            guard Self.broadcastable(c.shape, to: [m, n]) else {
                throw node.kernelError("C \(shapeText(c.shape)) does not broadcast to [\(m), \(n)]")
            }
        }
        let activation = try FusedActivation(node: node)
        let useC = c != nil && beta != 0
        let result = a.floats.withUnsafeBufferPointer { aBuf in
            b.floats.withUnsafeBufferPointer { bBuf in
                [Float](unsafeUninitializedCapacity: m * n) { yBuf, initialized in
                    defer { initialized = m * n }
                    guard let y = yBuf.baseAddress else { return }
                    if useC, let c {
                        Self.fillBroadcast(c, beta: beta, rows: m, columns: n, into: y)
                    } else {
                        y.initialize(repeating: 0, count: m * n)
                    }
                    if k > 0, let ap = aBuf.baseAddress, let bp = bBuf.baseAddress {
                        if !transA && transB && m < n && Self.takesPackedProduct(m: m, n: n, k: k) {
                            Self.productPacked(a: ap, b: b.floats, m: m, n: n, k: k, alpha: alpha, accumulatingInto: y)
                        } else if !transA && transB && m < n {
                            Self.productTransposed(a: ap, b: bp, m: m, n: n, k: k, alpha: alpha, accumulatingInto: y)
                        } else {
                            ParallelGemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                               a: ap, lda: a.shape[1], b: bp, ldb: b.shape[1], beta: useC ? 1 : 0,
                                               c: y, ldc: n)
                        }
                    }
                    if !activation.isIdentity { activation.addBiasAndApply(to: y, count: m * n, bias: 0) }
                }
            }
        }
        return [Tensor(shape: [m, n], floats: result, dtype: a.dtype)]
    }

    /// `y += alpha · A · Bᵀ` for A [m, k], B [n, k] with m < n (a batch of
    /// rows through a fully connected layer stored as PyTorch does). OpenBLAS
    /// runs this no-trans × trans shape poorly when m is small (about 55
    /// against 90 GFLOP/s at m = 32, n = 1000, k = 1024), so compute
    /// `(B · Aᵀ)ᵀ` instead and add its transpose.
    static func productTransposed(a: UnsafePointer<Float>, b: UnsafePointer<Float>, m: Int, n: Int, k: Int, alpha: Float,
                                  accumulatingInto y: UnsafeMutablePointer<Float>) {
        let t = UnsafeMutablePointer<Float>.allocate(capacity: n * m)
        defer { t.deallocate() }
        ParallelGemm.sgemm(transB: true, m: n, n: m, k: k, alpha: alpha, a: b, lda: k, b: a, ldb: k, c: t, ldc: m)
        for i in 0..<m {
            let row = y + i * n
            for j in 0..<n { row[j] += t[j * m + i] }
        }
    }

    /// Whether `productPacked` takes A [m, k] · Bᵀ: with the 512-bit kernels, B's packed copy
    /// cached (up to 16 M values, 64 MB), and the offsets within 32 bits.
    static func takesPackedProduct(m: Int, n: Int, k: Int) -> Bool {
        lathe_wide_kernels() != 0 && n * k <= 1 << 24 && k * m < Int(Int32.max) && n <= Int(Int32.max)
    }

    /// `y += alpha · A · Bᵀ` for A [m, k] and B [n, k] (weights stored output-major, as PyTorch
    /// does), m < n, on the convolution micro-kernel: B packed once per weight array
    /// (`PackedWeightCache`) and streamed once per call (`lathe_packed_gemm`), where OpenBLAS packs
    /// all of it again on every call. A recognizer's 8210×1024 class head over a 40-step sequence
    /// spent 42% of its time in that Gemm, half of it OpenBLAS copying B. The op's workers split the
    /// rows of A in pairs of panels (32 rows), each streaming B once; a value does not depend on the
    /// split.
    static func productPacked(a: UnsafePointer<Float>, b weights: [Float], m: Int, n: Int, k: Int, alpha: Float,
                              accumulatingInto y: UnsafeMutablePointer<Float>) {
        let packed = PackedWeightCache.shared.packed(weights, rows: n, reduction: k, groups: 1)
        let operand = UnsafeMutablePointer<Float>.allocate(capacity: k * m)  // Aᵀ [k, m]
        let product = UnsafeMutablePointer<Float>.allocate(capacity: n * m)  // B · Aᵀ [n, m]
        defer {
            operand.deallocate()
            product.deallocate()
        }
        for i in 0..<m {
            for t in 0..<k { operand[t * m + i] = a[i * k + t] }
        }
        let pair = 2 * Int(LATHE_CONV_NR)
        packed.withUnsafeBufferPointer { packedBuffer in
            guard let weights = packedBuffer.baseAddress else { return }
            OpParallelism.forEachPart(of: (m + pair - 1) / pair, work: m * n * k) { part in
                let first = part.lowerBound * pair, count = min(part.upperBound * pair, m) - first
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: lathe_packed_gemm_scratch_count(Int32(k)))
                defer { scratch.deallocate() }
                lathe_packed_gemm(weights, Int32(n), Int32(k), operand + first, Int32(m), Int32(count),
                                  product + first, m, scratch)
            }
        }
        for i in 0..<m {
            let row = y + i * n
            for j in 0..<n { row[j] += alpha * product[j * m + i] }
        }
    }

    /// Whether `shape` broadcasts unidirectionally to `target` (numpy rules, no growth of `target`).
    static func broadcastable(_ shape: [Int], to target: [Int]) -> Bool {
        guard shape.count <= target.count else { return false }
        for (dim, want) in zip(shape.reversed(), target.reversed()) where dim != want && dim != 1 { return false }
        return true
    }

    /// `y[i, j] = beta · c[i, j]` with c broadcast from a scalar, [N], [1, N], [M, 1] or [M, N].
    static func fillBroadcast(_ c: Tensor, beta: Float, rows: Int, columns: Int, into y: UnsafeMutablePointer<Float>) {
        let shape = [Int](repeating: 1, count: 2 - c.rank) + c.shape
        let rowStride = shape[0] == 1 ? 0 : shape[1]
        let columnStride = shape[1] == 1 ? 0 : 1
        c.floats.withUnsafeBufferPointer { cBuf in
            guard let cp = cBuf.baseAddress else { return }
            for i in 0..<rows {
                let src = cp + i * rowStride
                let dst = y + i * columns
                if columnStride == 1 {
                    for j in 0..<columns { dst[j] = beta * src[j] }
                } else {
                    dst.initialize(repeating: beta * src[0], count: columns)
                }
            }
        }
    }
}
