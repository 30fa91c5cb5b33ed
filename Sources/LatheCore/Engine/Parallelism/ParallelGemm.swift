import CLatheBLAS

/// `lathe_sgemm` (OpenBLAS's sgemm, row-major, `C = alpha · op(A) · op(B) + beta · C`) cut
/// into blocks of rows of C when it has more rows than columns, else of
/// columns, the blocks shared by `OpParallelism.width` workers. Each block
/// covers the whole reduction; OpenBLAS may block a smaller product its own
/// way, so values can round differently from one uncut product (at most 8e-7
/// on the samples' outputs), but the cut depends on the shape only, so they
/// are the same whatever the width. BLAS itself stays single-threaded (`Engine.prepare`).
enum ParallelGemm {
    static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
                      c: UnsafeMutablePointer<Float>, ldc: Int) {
        let byRows = m >= n
        OpParallelism.forEachPart(of: byRows ? m : n, work: m * n * k) { part in
            let rows = byRows ? part : 0..<m
            let columns = byRows ? 0..<n : part
            // Row r of op(A) starts at a + r·lda, or at column r of Aᵀ's storage; likewise columns of op(B).
            let aPart = a + rows.lowerBound * (transA ? 1 : lda)
            let bPart = b + columns.lowerBound * (transB ? ldb : 1)
            lathe_sgemm(transA ? 1 : 0, transB ? 1 : 0,
                        Int32(rows.count), Int32(columns.count), Int32(k), alpha, aPart, Int32(lda), bPart, Int32(ldb),
                        beta, c + rows.lowerBound * ldc + columns.lowerBound, Int32(ldc))
        }
    }
}
