import CBLAS

/// GPTQ (Frantar et al. 2022), the variant DESIGN.md "Recovery methods" fixes: columns in
/// the weight's natural order (no act-order), lazy block updates of 128 columns, dampening
/// 1% of the Hessian's mean diagonal, weights updated in float64 and each one rounded as
/// float32 by its row's grid, which is chosen from the weights before any update — so a
/// layer's grid, and its size, are those of round-to-nearest.
enum GPTQ {
    static let blockSize = 128
    static let dampening = 0.01

    /// Rounds `rows × columns` weights (row-major; one output channel per row) whose inputs have
    /// the Hessian `hessian` (`columns × columns`, row-major). Row r rounds with `quantizers[r]`;
    /// a weight `keep` marks as pruned becomes 0, its error spread like any other.
    static func quantize(_ weights: [Float], rows: Int, columns n: Int, hessian: [Double],
                         quantizers: [BlockQuantizer], keep: [Bool]?) throws -> [Float] {
        var w = weights.map(Double.init)
        let upper = try inverseHessianFactor(hessian, columns: n, weights: &w, rows: rows)
        // U(i, j) of the upper factor, stored column-major by LAPACK.
        @inline(__always) func u(_ i: Int, _ j: Int) -> Double { upper[i + j * n] }

        var result = [Float](repeating: 0, count: rows * n)
        var errors = [Double](repeating: 0, count: rows * blockSize)
        var start = 0
        while start < n {
            let end = min(start + blockSize, n)
            let width = end - start
            for i in start..<end {
                let d = u(i, i)
                for r in 0..<rows {
                    let index = r * n + i
                    let value = w[index]
                    let q: Float = keep?[index] == false ? 0 : quantizers[r].apply(Float(value))
                    result[index] = q
                    let error = (value - Double(q)) / d
                    errors[r * width + (i - start)] = error
                    if error != 0 {
                        for j in (i + 1)..<end { w[r * n + j] -= error * u(i, j) }
                    }
                }
            }
            if end < n {
                // The block's errors reach every later column at once: W[:, end:] -= E · U[start:end, end:].
                w.withUnsafeMutableBufferPointer { wb in
                    errors.withUnsafeBufferPointer { eb in
                        upper.withUnsafeBufferPointer { ub in
                            guard let wp = wb.baseAddress, let ep = eb.baseAddress, let up = ub.baseAddress else { return }
                            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n - end),
                                        Int32(width), -1, ep, Int32(width), up + end * n + start, Int32(n),
                                        1, wp + end, Int32(n))
                        }
                    }
                }
            }
            start = end
        }
        return result
    }

    /// The upper Cholesky factor U of (H + λI)⁻¹ (H⁻¹ = UᵀU), column-major. A column no
    /// input ever reached (H_ii = 0) gets H_ii = 1 and its weights are zeroed first, as the
    /// reference implementation does.
    static func inverseHessianFactor(_ hessian: [Double], columns n: Int, weights: inout [Double],
                                     rows: Int) throws -> [Double] {
        var h = hessian
        for i in 0..<n where h[i * n + i] == 0 {
            h[i * n + i] = 1
            for r in 0..<rows { weights[r * n + i] = 0 }
        }
        var diagonal = 0.0
        for i in 0..<n { diagonal += h[i * n + i] }
        let damp = dampening * diagonal / Double(n)
        for i in 0..<n { h[i * n + i] += damp }
        // Symmetric, so the row-major array is also H column-major.
        var size = Int32(n), info: Int32 = 0
        var lower = Int8(UInt8(ascii: "L")), upperFlag = Int8(UInt8(ascii: "U"))
        dpotrf_(&lower, &size, &h, &size, &info, 1)
        guard info == 0 else { throw notPositiveDefinite(info) }
        dpotri_(&lower, &size, &h, &size, &info, 1)
        guard info == 0 else { throw notPositiveDefinite(info) }
        // dpotri leaves the inverse in the lower triangle (column-major): mirror it to the upper one.
        for j in 0..<n {
            for i in (j + 1)..<max(j + 1, n) { h[j + i * n] = h[i + j * n] }
        }
        dpotrf_(&upperFlag, &size, &h, &size, &info, 1)
        guard info == 0 else { throw notPositiveDefinite(info) }
        return h
    }

    static func notPositiveDefinite(_ info: Int32) -> LatheError {
        LatheError.internalFailure("GPTQ: the damped Hessian is not positive definite (LAPACK info \(info))")
    }
}
