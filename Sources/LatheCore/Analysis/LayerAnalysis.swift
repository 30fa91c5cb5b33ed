
/// Where the selected layer's current compression puts its marks on the weight
/// histogram, computed by LatheCore in the background for one settings value
/// (the view only places them; it never computes them).
public struct LayerAnalysis: Sendable, Equatable {
    /// The settings these marks are for (stale when the layer's settings differ).
    public var settings: LayerSettings
    /// Values of the quantization grid (uniform integer formats): of the whole tensor
    /// per-tensor, of the widest channel per-channel. Empty otherwise, or when too
    /// many to list (16-bit).
    public var grid: [Double]
    /// Levels of that grid (0 when there is none).
    public var gridLevels: Int
    /// Distance between neighbouring grid values.
    public var gridStep: Double?
    /// Unstructured pruning removes weights with |w| up to this value.
    public var pruneThreshold: Double?
    /// k-means centroids of weight sharing.
    public var centroids: [Double]
    /// Weights stored as zero after compression, 0...1.
    public var compressedSparsity: Double
    /// Distinct values in the compressed weights.
    public var distinctValues: Int
    /// Mean squared error of the compressed weights against the originals.
    public var meanSquaredError: Double

    public init(settings: LayerSettings, grid: [Double] = [], gridLevels: Int? = nil, gridStep: Double? = nil, pruneThreshold: Double? = nil,
                centroids: [Double] = [], compressedSparsity: Double = 0, distinctValues: Int = 0,
                meanSquaredError: Double = 0) {
        self.settings = settings
        self.grid = grid
        self.gridLevels = gridLevels ?? grid.count
        self.gridStep = gridStep
        self.pruneThreshold = pruneThreshold
        self.centroids = centroids
        self.compressedSparsity = compressedSparsity
        self.distinctValues = distinctValues
        self.meanSquaredError = meanSquaredError
    }
}
