/// Everything `lathe report` shows, as plain values: the document builder
/// (`ReportDocument`) turns it into HTML without touching anything else, so a
/// report can be built and checked from any source of these numbers.
public struct ReportContent: Sendable {
    public var summary: ReportSummary
    public var plan: ReportPlan
    public var histograms: [ReportHistogramPair]
    public var heatmap: ReportHeatmap?
    public var tradeoff: ReportTradeoff
    /// The command lines that give the report's numbers, in the order of its sections.
    public var reproduce: [ReportCommandLine]
    /// Things the report leaves out or approximates, each a sentence (shown at the top).
    public var notes: [String]

    public init(summary: ReportSummary, plan: ReportPlan, histograms: [ReportHistogramPair], heatmap: ReportHeatmap?,
                tradeoff: ReportTradeoff, reproduce: [ReportCommandLine], notes: [String]) {
        self.summary = summary
        self.plan = plan
        self.histograms = histograms
        self.heatmap = heatmap
        self.tradeoff = tradeoff
        self.reproduce = reproduce
        self.notes = notes
    }
}

/// The model and the data the report is about.
public struct ReportSummary: Sendable {
    public var modelFile: String
    /// "ONNX, opset 13" or "safetensors".
    public var format: String
    public var layerCount: Int
    public var params: Int
    /// Uncompressed deployment size (`SizeModel.baselineBytes`, or the checkpoint's stored bytes).
    public var originalBytes: Int
    public var dataFiles: [String]
    public var samples: Int?
    /// The scored metric (nil without data).
    public var metric: ScoreMetric?
    /// Why that metric (the scoring's reason).
    public var metricReason: String?
    /// The uncompressed model's metric on the first data set.
    public var uncompressedValue: Double?
    public var configFile: String?
    public var paretoFile: String?

    public init(modelFile: String, format: String, layerCount: Int, params: Int, originalBytes: Int,
                dataFiles: [String] = [], samples: Int? = nil, metric: ScoreMetric? = nil, metricReason: String? = nil,
                uncompressedValue: Double? = nil, configFile: String? = nil, paretoFile: String? = nil) {
        self.modelFile = modelFile
        self.format = format
        self.layerCount = layerCount
        self.params = params
        self.originalBytes = originalBytes
        self.dataFiles = dataFiles
        self.samples = samples
        self.metric = metric
        self.metricReason = metricReason
        self.uncompressedValue = uncompressedValue
        self.configFile = configFile
        self.paretoFile = paretoFile
    }
}

/// The plan per layer with its sizes (`SizeModel.report`'s breakdown, unchanged).
public struct ReportPlan: Sendable {
    public struct Row: Sendable {
        public var name: String
        /// The op ("Conv"), or nil for a checkpoint tensor (no graph).
        public var op: String?
        public var shape: [Int]
        /// The settings as the configuration spells them ("bits 4, method gptq"), or "float".
        public var settings: String
        public var originalBytes: Int
        public var size: TensorSize

        public init(name: String, op: String?, shape: [Int], settings: String, originalBytes: Int, size: TensorSize) {
            self.name = name
            self.op = op
            self.shape = shape
            self.settings = settings
            self.originalBytes = originalBytes
            self.size = size
        }
    }

    public var rows: [Row]
    /// Biases and every other tensor that is not a layer weight (kept as stored).
    public var otherBytes: Int
    public var totalBytes: Int
    public var baselineBytes: Int
    /// The plan's metric on the first data set, when data was given.
    public var value: Double?

    public init(rows: [Row], otherBytes: Int, totalBytes: Int, baselineBytes: Int, value: Double? = nil) {
        self.rows = rows
        self.otherBytes = otherBytes
        self.totalBytes = totalBytes
        self.baselineBytes = baselineBytes
        self.value = value
    }

    /// baseline / compressed.
    public var ratio: Double { totalBytes == 0 ? 1 : Double(baselineBytes) / Double(totalBytes) }

    /// The plan with its size computed by the size model, rows in the order of `layers`.
    public init(report: SizeReport, layers: [(name: String, op: String?, shape: [Int])], value: Double? = nil) {
        var rows: [Row] = []
        for layer in layers {
            guard let cost = report.layer(named: layer.name) else { continue }
            rows.append(Row(name: layer.name, op: layer.op, shape: layer.shape,
                            settings: ReportFormat.settings(cost.settings), originalBytes: cost.baselineBytes,
                            size: cost.size))
        }
        self.init(rows: rows, otherBytes: report.otherBytes, totalBytes: report.totalBytes,
                  baselineBytes: report.baselineBytes, value: value)
    }
}

/// One layer's weights before and after compression, binned on the same edges so the two compare.
public struct ReportHistogramPair: Sendable {
    public var layer: String
    public var before: Histogram
    public var after: Histogram
    /// Whether the plan changes this layer's weights (else `after` equals `before`).
    public var changed: Bool

    public init(layer: String, before: Histogram, after: Histogram, changed: Bool) {
        self.layer = layer
        self.before = before
        self.after = after
        self.changed = changed
    }

    /// Both tensors binned on one set of `bins` edges spanning the two ranges (numpy's rules, `Histogram`).
    public init(layer: String, before: [Float], after: [Float]?, bins: Int) {
        var lo = Double.infinity, hi = -Double.infinity
        for values in [before, after ?? []] {
            for v in values where v.isFinite {
                lo = Swift.min(lo, Double(v))
                hi = Swift.max(hi, Double(v))
            }
        }
        let edges = Histogram.edges(finiteMin: lo, finiteMax: hi, bins: bins)
        func histogram(_ values: [Float]) -> Histogram {
            var counts = [Int](repeating: 0, count: edges.count - 1)
            values.withUnsafeBufferPointer { Histogram.count($0, edges: edges, into: &counts) }
            return Histogram(edges: edges, counts: counts)
        }
        let first = histogram(before)
        self.init(layer: layer, before: first, after: after.map(histogram) ?? first, changed: after != nil)
    }
}

/// Layers × bit-widths: the metric's drop with that layer alone quantized (with data), or the
/// data-free SQNR of the layer's weights.
public struct ReportHeatmap: Sendable {
    public enum Measure: Sendable, Equatable {
        /// `ScoreMetric.degradation` from the uncompressed model (larger = worse).
        case drop(ScoreMetric)
        /// SQNR in dB of symmetric per-channel quantization (larger = better; +inf exact).
        case sqnrDB
    }

    public var measure: Measure
    public var bits: [Int]
    public var layers: [String]
    /// `cells[layer][bit index]`; nil where not measured.
    public var cells: [[Double?]]
    /// Like `cells`, the samples a level ran on where its pass stopped early (`SensitivityReport.Partial`), else
    /// nil; empty when none did.
    public var partialSamples: [[Int?]]
    /// The loss past which those passes stopped.
    public var stopLoss: Double?

    public init(measure: Measure, bits: [Int], layers: [String], cells: [[Double?]], partialSamples: [[Int?]] = [],
                stopLoss: Double? = nil) {
        self.measure = measure
        self.bits = bits
        self.layers = layers
        self.cells = cells
        self.partialSamples = partialSamples
        self.stopLoss = stopLoss
    }

    /// The samples the cell's level ran on when it stopped early, else nil.
    func partialSamples(layer i: Int, column j: Int) -> Int? {
        partialSamples.indices.contains(i) && partialSamples[i].indices.contains(j) ? partialSamples[i][j] : nil
    }
}

/// Metric against size: uniform plans, the configuration's plan and a search's Pareto front.
public struct ReportTradeoff: Sendable {
    public enum Kind: String, Sendable {
        case uniform, config, pareto
    }

    public struct Point: Sendable {
        public var label: String
        public var kind: Kind
        public var sizeBytes: Int
        /// nil: not measured (no data).
        public var value: Double?

        public init(label: String, kind: Kind, sizeBytes: Int, value: Double?) {
            self.label = label
            self.kind = kind
            self.sizeBytes = sizeBytes
            self.value = value
        }
    }

    public var metric: ScoreMetric?
    public var points: [Point]
    /// Why the chart is not drawn (nil: it is).
    public var omitted: String?

    public init(metric: ScoreMetric?, points: [Point], omitted: String? = nil) {
        self.metric = metric
        self.points = points
        self.omitted = omitted
    }
}

/// A shell command and what it gives.
public struct ReportCommandLine: Sendable {
    public var purpose: String
    public var command: String

    public init(purpose: String, command: String) {
        self.purpose = purpose
        self.command = command
    }
}
