import LatheCore

/// One weight layer as the explorer shows it: identity, shape and the statistics
/// LatheCore computed from its (deployed, BatchNorm-folded) weights at load.
public struct LayerInfo: Sendable, Equatable {
    /// The weight tensor's name (the layer's identity everywhere).
    public var name: String
    public var op: String
    public var shape: [Int]
    public var params: Int
    /// The weights' summary statistics (LatheCore `WeightStats`).
    public var stats: WeightStats
    /// The weights' histogram (LatheCore `Histogram`, numpy's bins).
    public var histogram: Histogram
    /// Bytes of the weight as the file stores it (the layer's share of the baseline): its dtype,
    /// or for an integer weight behind DequantizeLinear the integers, scales and zero points.
    public var baselineBytes: Int
    /// How an already-quantized file stores the weight (nil: as a float tensor). The statistics and
    /// histogram are of the dequantized values, which new settings re-compress from.
    public var stored: StoredQuantization?
    /// The layer as LatheCore describes it, so an edit it cannot honour is refused up front (nil in tests).
    public var layer: WeightLayer?

    public init(name: String, op: String, shape: [Int], params: Int, stats: WeightStats, histogram: Histogram,
                baselineBytes: Int, stored: StoredQuantization? = nil, layer: WeightLayer? = nil) {
        self.name = name
        self.op = op
        self.shape = shape
        self.params = params
        self.stats = stats
        self.histogram = histogram
        self.baselineBytes = baselineBytes
        self.stored = stored
        self.layer = layer
    }
}

extension LayerInfo {
    /// The session's weight layers as the explorer lists them, with LatheCore's statistics
    /// and histogram of the deployed (BatchNorm-folded) weights.
    public static func all(in session: InferenceSession) -> [LayerInfo] {
        session.layers.map { layer in
            let weight = session.weights[layer.name]
            let values = weight?.asFloats ?? []
            // Roughly 4 weights per bin, between 16 and 128 bins, so small layers are not all gaps.
            let bins = min(128, max(16, values.count / 4))
            return LayerInfo(name: layer.name, op: layer.op.rawValue, shape: layer.shape, params: layer.params,
                             stats: WeightStats(values), histogram: Histogram(values, bins: bins),
                             baselineBytes: SizeModel.baselineBytes(of: layer, dtype: weight?.dtype ?? .float32),
                             stored: layer.stored, layer: layer)
        }
    }
}

/// What was opened: shown in the header and written into exported configurations.
public struct SessionInfo: Sendable, Equatable {
    /// The model path as the user gave it (or the bundled sample's).
    public var modelPath: String
    /// A short name for the header ("mobilenet/model.onnx").
    public var modelName: String
    public var dataPath: String
    public var dataName: String
    public var samples: Int
    public var labelled: Bool
    /// The metric the engine reports, and why it was chosen (shown in the header).
    public var metric: ScoreMetric
    public var metricReason: String
    /// The scored output's name.
    public var output: String
    /// True when the bundled sample was opened by a bare `lathe`.
    public var isBundledSample: Bool

    public init(modelPath: String, modelName: String, dataPath: String, dataName: String, samples: Int,
                labelled: Bool, metric: ScoreMetric? = nil, metricReason: String = "", output: String,
                isBundledSample: Bool = false) {
        self.modelPath = modelPath
        self.modelName = modelName
        self.dataPath = dataPath
        self.dataName = dataName
        self.samples = samples
        self.labelled = labelled
        self.metric = metric ?? (labelled ? .top1 : .agree)
        self.metricReason = metricReason
        self.output = output
        self.isBundledSample = isBundledSample
    }

    /// How the metric is written on screen ("top-1", "agree", "SQNR", …).
    public var metricLabel: String { metric.label }
}
