/// Summary statistics of one weight tensor, as the layer table and `lathe inspect` show them.
///
/// Sums are accumulated in `Double` so a million-element float32 tensor gives the
/// same mean and std as numpy on `w.astype(np.float64)`.
public struct WeightStats: Sendable, Equatable {
    public var min: Double
    public var max: Double
    public var mean: Double
    /// Population standard deviation (numpy's default `ddof=0`).
    public var std: Double
    /// Fraction of elements that are exactly zero (pruned weights).
    public var sparsity: Double
    /// Fraction of elements with `|w - mean| > 3 * std`.
    public var outlierRatio: Double

    public init(min: Double, max: Double, mean: Double, std: Double, sparsity: Double, outlierRatio: Double) {
        self.min = min
        self.max = max
        self.mean = mean
        self.std = std
        self.sparsity = sparsity
        self.outlierRatio = outlierRatio
    }

    /// Statistics of `values`; all zero for an empty tensor (there is nothing to describe).
    public init(_ values: [Float]) {
        guard !values.isEmpty else {
            self.init(min: 0, max: 0, mean: 0, std: 0, sparsity: 0, outlierRatio: 0)
            return
        }
        var lo = Float.infinity
        var hi = -Float.infinity
        var sum = 0.0
        var zeros = 0
        var sawNaN = false
        for v in values {
            if v.isNaN { sawNaN = true }
            if v < lo { lo = v }
            if v > hi { hi = v }
            if v == 0 { zeros += 1 }
            sum += Double(v)
        }
        let n = Double(values.count)
        let mean = sum / n
        // Two passes: the textbook one-pass formula loses precision when |mean| >> std.
        var squares = 0.0
        for v in values {
            let d = Double(v) - mean
            squares += d * d
        }
        let std = (squares / n).squareRoot()
        let limit = 3 * std
        var outliers = 0
        for v in values where abs(Double(v) - mean) > limit { outliers += 1 }
        // numpy's min/max propagate NaN; comparisons above silently skip it.
        self.init(min: sawNaN ? .nan : Double(lo), max: sawNaN ? .nan : Double(hi), mean: mean, std: std,
                  sparsity: Double(zeros) / n, outlierRatio: Double(outliers) / n)
    }

    /// Statistics of a tensor's elements, whatever its dtype.
    public init(_ tensor: Tensor) {
        self.init(tensor.asFloats)
    }
}
