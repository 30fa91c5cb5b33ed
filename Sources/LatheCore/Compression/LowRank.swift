import CLatheBLAS

/// Low-rank factorisation (`rank: r`) of Gemm/MatMul and 1×1 Conv weights by
/// truncated SVD in float64 (LAPACK dgesdd through OpenBLAS). An LSTM/GRU/RNN
/// weight [D, G·H, in] is D matrices [G·H, in], one per direction, each
/// factorised on its own with the same k (`blocks`).
///
/// The weight is viewed as a matrix W [out, in] (output-channel axis first),
/// `k = max(1, round(r·min(out, in)))` singular values are kept (round half to
/// even), and W ≈ A·B with the balanced factors A = U_k·√S_k [out, k] and
/// B = √S_k·V_kᵀ [k, in] — which is what a deployed model stores, as two
/// layers. A quantized low-rank layer quantizes A and B (each per row, i.e. per
/// output channel of its own layer, or per tensor); the product is reshaped back
/// to the weight's shape for evaluation.
public enum LowRank {
    /// Why `layer` cannot be factorised, or nil.
    public static func unsupportedReason(_ layer: WeightLayer) -> String? {
        switch layer.op {
        case .gemm, .matMul:
            return layer.shape.count == 2 ? nil : "needs a 2-D weight; \(layer.name) has shape \(layer.shape)"
        case .conv:
            let kernel = layer.shape.dropFirst(2)
            if !kernel.allSatisfy({ $0 == 1 }) {
                return "applies only to Gemm, MatMul, 1×1 Conv, LSTM, GRU and RNN; \(layer.name) is a "
                    + "\(kernel.map(String.init).joined(separator: "×")) Conv"
            }
            return layer.groups == 1 ? nil : "needs an ungrouped Conv; \(layer.name) has group \(layer.groups)"
        case .convTranspose:
            return "applies only to Gemm, MatMul, 1×1 Conv, LSTM, GRU and RNN; \(layer.name) is a ConvTranspose"
        case .lstm, .gru, .rnn:
            return layer.shape.count == 3 ? nil : "needs a [directions, rows, columns] weight; \(layer.name) has shape \(layer.shape)"
        case .matMulInteger, .convInteger:
            return "does not apply to \(layer.name), an integer \(layer.op.rawValue) weight: its factors' product "
                + "is not whole numbers, which the integer kernel needs"
        }
    }

    /// The weight as `count` matrices of rows×columns, contiguous one after the
    /// other: one per direction for recurrent weights (rows = gate rows), else one.
    public static func blocks(_ layer: WeightLayer) -> (count: Int, rows: Int, columns: Int) {
        if layer.op.isRecurrent, layer.shape.count == 3 {
            return (layer.shape[0], layer.shape[1], layer.shape[2])
        }
        let (rows, columns) = matrixShape(layer)
        return (1, rows, columns)
    }

    /// The weight as a matrix: rows are output channels.
    public static func matrixShape(_ layer: WeightLayer) -> (rows: Int, columns: Int) {
        let rows = layer.shape[layer.channelAxis]
        return (rows, rows == 0 ? 0 : layer.params / rows)
    }

    /// Singular values kept for fraction `fraction` of a rows×columns matrix.
    public static func keptRank(fraction: Double, rows: Int, columns: Int) -> Int {
        let full = min(rows, columns)
        return min(full, max(1, Int((fraction * Double(full)).rounded(.toNearestOrEven))))
    }

    /// Balanced rank-k factors of the row-major rows×columns `matrix`, rounded to float32.
    public static func factors(_ matrix: [Float], rows: Int, columns: Int, rank k: Int) throws
        -> (a: [Float], b: [Float]) {
        // Row-major W [rows, columns] is column-major Wᵀ [columns, rows]; LAPACK factors
        // Wᵀ = U' S V'ᵀ, so W = V' S U'ᵀ: W's left vectors are the rows of V'ᵀ, its right ones U's columns.
        var a = matrix.map(Double.init)
        var m = Int32(columns), n = Int32(rows)
        let p = min(columns, rows)
        var s = [Double](repeating: 0, count: p)
        var u = [Double](repeating: 0, count: columns * p)
        var vt = [Double](repeating: 0, count: p * rows)
        var lda = m, ldu = m, ldvt = Int32(p)
        var info: Int32 = 0
        var iwork = [Int32](repeating: 0, count: 8 * p)
        var jobz = Int8(UInt8(ascii: "S"))
        var lwork: Int32 = -1
        var query = [Double](repeating: 0, count: 1)
        lathe_dgesdd(&jobz, &m, &n, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &query, &lwork, &iwork, &info, 1)
        guard info == 0 else { throw LatheError.internalFailure("dgesdd workspace query failed (info \(info))") }
        lwork = Int32(query[0])
        var work = [Double](repeating: 0, count: max(1, Int(lwork)))
        lathe_dgesdd(&jobz, &m, &n, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &work, &lwork, &iwork, &info, 1)
        guard info == 0 else { throw LatheError.internalFailure("SVD did not converge (dgesdd info \(info))") }

        var factorA = [Float](repeating: 0, count: rows * k)
        var factorB = [Float](repeating: 0, count: k * columns)
        for t in 0..<k {
            let root = s[t].squareRoot()
            for i in 0..<rows { factorA[i * k + t] = Float(vt[t + i * p] * root) }
            for j in 0..<columns { factorB[t * columns + j] = Float(u[j + t * columns] * root) }
        }
        return (factorA, factorB)
    }

    /// A·B accumulated in float64, rounded to float32.
    public static func product(_ a: [Float], _ b: [Float], rows: Int, rank k: Int, columns: Int) -> [Float] {
        var result = [Float](repeating: 0, count: rows * columns)
        var row = [Double](repeating: 0, count: columns)
        for i in 0..<rows {
            for j in 0..<columns { row[j] = 0 }
            for t in 0..<k {
                let factor = Double(a[i * k + t])
                if factor == 0 { continue }
                for j in 0..<columns { row[j] += factor * Double(b[t * columns + j]) }
            }
            for j in 0..<columns { result[i * columns + j] = Float(row[j]) }
        }
        return result
    }
}
