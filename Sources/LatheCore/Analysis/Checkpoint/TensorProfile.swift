/// What Lathe measures of one checkpoint tensor without data: the statistics and histogram the
/// layer table shows, outlier measures, and for layers the SQNR of per-channel symmetric
/// min–max quantization at each requested bit-width (DESIGN.md's definitions).
public struct TensorProfile: Sendable, Equatable {
    public var stats: WeightStats
    public var histogram: Histogram
    /// Population excess kurtosis, `m4 / m2² − 3` (0 for a constant tensor): heavy tails score high.
    public var excessKurtosis: Double
    /// `max|w| / std` (0 for a constant tensor): how far the largest weight stretches a min–max grid.
    public var maxAbsOverStd: Double
    /// `10·log10(Σw² / Σ(w − ŵ)²)` per bit-width, ŵ quantized symmetric per channel along axis 0
    /// (`+inf` when exact); only for layers and requested bit-widths.
    public var sqnrDB: [Int: Double]

    public init(stats: WeightStats, histogram: Histogram, excessKurtosis: Double, maxAbsOverStd: Double,
                sqnrDB: [Int: Double] = [:]) {
        self.stats = stats
        self.histogram = histogram
        self.excessKurtosis = excessKurtosis
        self.maxAbsOverStd = maxAbsOverStd
        self.sqnrDB = sqnrDB
    }
}
