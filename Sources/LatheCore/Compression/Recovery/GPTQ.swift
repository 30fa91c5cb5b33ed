import CLatheBLAS

/// The optimal-brain-compression pass GPTQ (Frantar et al. 2022) and SparseGPT (Frantar &
/// Alistarh 2023) share, in the variant the README's "Recovery methods" fixes: columns in
/// the weight's natural order (no act-order), lazy block updates of 128 columns, dampening
/// 1% of the Hessian's mean diagonal, weights updated in float64 and each one rounded as
/// float32 by its row's grid, which is chosen from the weights before any update — so a
/// layer's grid, and its size, are those of round-to-nearest.
enum GPTQ {
    static let blockSize = 128
    static let dampening = 0.01

    /// SparseGPT's mask selection, made at the start of each block (unstructured) or of each
    /// group of four columns (2:4) from the weights as updated so far, scored w² / U_ii².
    struct Pruning {
        enum Kind {
            /// Exactly `target(elementsThrough:)` weights pruned by the end of each block.
            case unstructured(ratio: Double)
            /// Columns form lines of `lineLength` (the reduction axis innermost): in each group of four
            /// consecutive columns of a line, every row keeps its two best (a trailing group of r keeps min(r, 2)).
            case twoFour(lineLength: Int)
        }
        var kind: Kind
        /// Elements of earlier groups of the same layer, and how many of them were pruned.
        var elementsBefore = 0
        var prunedBefore = 0
    }

    /// Rounds (and with `pruning`, prunes) `rows × columns` weights (row-major; one output
    /// channel per row) whose inputs have the Hessian `hessian` (`columns × columns`). Row r
    /// rounds with `quantizers[r]` (nil keeps float values); a weight `keep` marks as pruned,
    /// or that `pruning` selects, becomes 0, its error spread like any other.
    /// Returns the weights and how many `pruning` removed.
    static func solve(_ weights: [Float], rows: Int, columns n: Int, hessian: [Double],
                      quantizers: [BlockQuantizer]?, keep: [Bool]?, pruning: Pruning? = nil) throws
        -> (values: [Float], pruned: Int) {
        var w = weights.map(Double.init)
        let upper = try inverseHessianFactor(hessian, columns: n, weights: &w, rows: rows)
        // U(i, j) of the upper factor, stored column-major by LAPACK.
        @inline(__always) func u(_ i: Int, _ j: Int) -> Double { upper[i + j * n] }

        var result = [Float](repeating: 0, count: rows * n)
        var removed = [Bool](repeating: false, count: rows * n)
        var prunedCount = 0
        var errors = [Double](repeating: 0, count: rows * (blockSize + 4))
        var start = 0
        while start < n {
            let end = blockEnd(start: start, columns: n, pruning: pruning)
            let width = end - start
            if let pruning, case .unstructured(let ratio) = pruning.kind {
                let through = pruning.elementsBefore + rows * end
                let target = Pruner.removedCount(ratio: ratio, of: through) - pruning.prunedBefore - prunedCount
                prunedCount += selectSmallest(target, rows: rows, columns: start..<end, n: n, w: w, u: u,
                                              removed: &removed)
            }
            for i in start..<end {
                if let pruning, case .twoFour(let line) = pruning.kind, (i % line) % 4 == 0 {
                    let group = i..<min(i + 4, (i / line + 1) * line)
                    prunedCount += selectTwoFour(group, rows: rows, n: n, w: w, u: u, removed: &removed)
                }
                let d = u(i, i)
                for r in 0..<rows {
                    let index = r * n + i
                    let value = w[index]
                    let q: Float
                    if removed[index] || keep?[index] == false {
                        q = 0
                    } else {
                        q = quantizers.map { $0[r].apply(Float(value)) } ?? Float(value)
                    }
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
                            lathe_dgemm(0, 1, Int32(rows), Int32(n - end),
                                        Int32(width), -1, ep, Int32(width), up + end * n + start, Int32(n),
                                        1, wp + end, Int32(n))
                        }
                    }
                }
            }
            start = end
        }
        return (result, prunedCount)
    }

    /// 128 columns, or for 2:4 up to the next group start at or after that, so a group's scores
    /// are read from weights its block has fully updated.
    static func blockEnd(start: Int, columns n: Int, pruning: Pruning?) -> Int {
        var end = min(start + blockSize, n)
        if let pruning, case .twoFour(let line) = pruning.kind {
            while end < n && (end % line) % 4 != 0 { end += 1 }
        }
        return end
    }

    /// Marks the `count` weights of `columns` with the smallest w² / U_ii² (ties in row-major
    /// order within the block) as removed; returns how many it marked.
    static func selectSmallest(_ count: Int, rows: Int, columns: Range<Int>, n: Int, w: [Double],
                               u: (Int, Int) -> Double, removed: inout [Bool]) -> Int {
        guard count > 0 else { return 0 }
        var scored: [(score: Double, index: Int)] = []
        scored.reserveCapacity(rows * columns.count)
        for r in 0..<rows {
            for i in columns {
                let d = u(i, i)
                scored.append((w[r * n + i] * w[r * n + i] / (d * d), r * n + i))
            }
        }
        scored.sort { $0.score < $1.score || ($0.score == $1.score && $0.index < $1.index) }
        let chosen = scored.prefix(min(count, scored.count))
        for entry in chosen { removed[entry.index] = true }
        return chosen.count
    }

    /// In one group of columns, every row keeps its min(size, 2) best scores (ties keep the lower column).
    static func selectTwoFour(_ group: Range<Int>, rows: Int, n: Int, w: [Double], u: (Int, Int) -> Double,
                              removed: inout [Bool]) -> Int {
        var count = 0
        for r in 0..<rows {
            let ranked = group.sorted { a, b in
                let sa = w[r * n + a] * w[r * n + a] / (u(a, a) * u(a, a))
                let sb = w[r * n + b] * w[r * n + b] / (u(b, b) * u(b, b))
                return sa > sb || (sa == sb && a < b)
            }
            for i in ranked.dropFirst(min(group.count, 2)) {
                removed[r * n + i] = true
                count += 1
            }
        }
        return count
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
        lathe_dpotrf(&lower, &size, &h, &size, &info, 1)
        guard info == 0 else { throw notPositiveDefinite(info) }
        lathe_dpotri(&lower, &size, &h, &size, &info, 1)
        guard info == 0 else { throw notPositiveDefinite(info) }
        // dpotri leaves the inverse in the lower triangle (column-major): mirror it to the upper one.
        for j in 0..<n {
            for i in (j + 1)..<max(j + 1, n) { h[j + i * n] = h[i + j * n] }
        }
        lathe_dpotrf(&upperFlag, &size, &h, &size, &info, 1)
        guard info == 0 else { throw notPositiveDefinite(info) }
        return h
    }

    static func notPositiveDefinite(_ info: Int32) -> LatheError {
        LatheError.internalFailure("GPTQ: the damped Hessian is not positive definite (LAPACK info \(info))")
    }
}
