import Foundation

/// Gathers a report's numbers for an ONNX model from the engine: sizes from the
/// size model, metrics from the plan evaluator (exactly as `lathe eval --config`),
/// compressed weights as the evaluation runs them. Touches no file and no terminal.
public enum ReportCollector {
    /// Bins of every histogram (compact: two small charts per layer).
    public static let histogramBins = 40
    /// Histograms beyond this many layers are left out (and said so), keeping the file small.
    public static let histogramLayerLimit = 400

    public struct Request: Sendable {
        public var modelFile: String
        public var format: String
        public var dataFiles: [String]
        public var configFile: String?
        /// The configuration's plan (nil: the uncompressed plan).
        public var plan: CompressionPlan?
        public var paretoFile: String?
        public var pareto: ParetoFront?
        public var heatmap: ReportHeatmap?
        public var reproduce: [ReportCommandLine]
        public var notes: [String]

        public init(modelFile: String, format: String, dataFiles: [String] = [], configFile: String? = nil,
                    plan: CompressionPlan? = nil, paretoFile: String? = nil, pareto: ParetoFront? = nil,
                    heatmap: ReportHeatmap? = nil, reproduce: [ReportCommandLine] = [], notes: [String] = []) {
            self.modelFile = modelFile
            self.format = format
            self.dataFiles = dataFiles
            self.configFile = configFile
            self.plan = plan
            self.paretoFile = paretoFile
            self.pareto = pareto
            self.heatmap = heatmap
            self.reproduce = reproduce
            self.notes = notes
        }
    }

    /// The report of `session` under the request's plan; with an `evaluator` (the first data set's)
    /// every plan's metric is measured, without one only sizes are.
    public static func collect(session: InferenceSession, evaluator: PlanEvaluator?, request: Request,
                               progress: (@Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void)? = nil)
        throws -> ReportContent {
        var notes = request.notes
        let layers = session.layers
        let plan = request.plan ?? .identity(layers: layers)
        let size = SizeModel.report(tensors: session.weights, layers: layers, plan: plan)
        let metric = evaluator?.scoring.metric

        // The plan's metric and the uncompressed one (the evaluation measures both).
        var value: Double?
        var uncompressed: Double?
        var samples: Int?
        if let evaluator, let metric {
            let evaluation = try evaluator.evaluate(plan, progress: progress)
            value = evaluation.totals.value(of: metric)
            uncompressed = evaluation.totals.baselineValue(of: metric)
            samples = evaluation.totals.samples
        }
        let rows = layers.map { (name: $0.name, op: Optional($0.op.rawValue), shape: $0.shape) }
        let planContent = ReportPlan(report: size, layers: rows, value: value)

        let summary = ReportSummary(
            modelFile: request.modelFile, format: request.format, layerCount: layers.count,
            params: session.weights.values.filter(\.isFloat).reduce(0) { $0 + $1.count },
            originalBytes: SizeModel.baselineBytes(of: session.weights, layers: layers),
            dataFiles: request.dataFiles, samples: samples, metric: metric, metricReason: evaluator?.scoring.reason,
            uncompressedValue: uncompressed, configFile: request.configFile, paretoFile: request.paretoFile)

        let histograms = try histogramPairs(session: session, evaluator: evaluator, plan: plan, notes: &notes)

        var points: [ReportTradeoff.Point] = []
        for entry in UniformPlans.all {
            do {
                let uniform = try UniformPlans.plan(entry, layers: layers)
                let bytes = SizeModel.report(tensors: session.weights, layers: layers, plan: uniform).totalBytes
                var measured: Double?
                if let evaluator, let metric {
                    progress?("evaluating \(entry.label)", 0, 1)
                    measured = try evaluator.evaluate(uniform).totals.value(of: metric)
                }
                points.append(.init(label: entry.label, kind: .uniform, sizeBytes: bytes, value: measured))
            } catch let error as LatheError where error.kind == .badInput {
                notes.append("The uniform \(entry.label) plan does not apply to this model (\(error.message)); "
                    + "it is left out of section 5.")
            }
        }
        if request.plan != nil {
            points.append(.init(label: "config" + (request.configFile.map { " (\(Self.fileName($0)))" } ?? ""),
                                kind: .config, sizeBytes: size.totalBytes, value: value))
        }
        let tradeoff = Self.tradeoff(points: points, metric: metric, pareto: request.pareto,
                                     paretoFile: request.paretoFile, notes: &notes)
        return ReportContent(summary: summary, plan: planContent, histograms: histograms, heatmap: request.heatmap,
                             tradeoff: tradeoff, reproduce: request.reproduce, notes: notes)
    }

    /// Before and after per layer (the first `histogramLayerLimit`), after as the evaluation runs the
    /// weights; without data, layers whose compression needs calibration show only "before".
    static func histogramPairs(session: InferenceSession, evaluator: PlanEvaluator?, plan: CompressionPlan,
                               notes: inout [String]) throws -> [ReportHistogramPair] {
        let layers = Array(session.layers.prefix(histogramLayerLimit))
        if session.layers.count > layers.count {
            notes.append("Weight histograms are drawn for the first \(layers.count) of \(session.layers.count) "
                + "layers, to keep the file small; the table and the heatmap list every layer.")
        }
        var compressed: [String: Tensor]
        if let evaluator {
            compressed = try evaluator.compressedWeights(plan)
        } else {
            let calibrated = session.layers.filter { plan.settings(for: $0.name).needsCalibration }
            var dataFree = plan
            for layer in calibrated { dataFree.set(.identity, for: layer.name) }
            compressed = try Compressor.compress(weights: session.weights, layers: session.layers, plan: dataFree)
            if !calibrated.isEmpty {
                notes.append("Without data, the \"after\" histograms of "
                    + calibrated.map(\.name).joined(separator: ", ")
                    + " show the uncompressed weights: their settings (GPTQ, SparseGPT or bias correction) "
                    + "calibrate on data (pass --data).")
            }
        }
        return layers.compactMap { layer in
            guard let weight = session.weights[layer.name] else { return nil }
            let after = compressed[layer.name].map(\.asFloats)
            return ReportHistogramPair(layer: layer.name, before: weight.asFloats, after: after, bins: histogramBins)
        }
    }

    /// The chart's points: measured ones plotted, the Pareto front added when it is scored as they are.
    static func tradeoff(points: [ReportTradeoff.Point], metric: ScoreMetric?, pareto: ParetoFront?,
                         paretoFile: String?, notes: inout [String]) -> ReportTradeoff {
        var points = points
        var metric = metric
        if let pareto {
            let file = paretoFile ?? "the Pareto front"
            if let metric, pareto.metric != metric {
                notes.append("\(file) is scored by \(pareto.metric.label), this report by \(metric.label): "
                    + "its front is left out of section 5.")
            } else {
                if metric == nil {
                    metric = pareto.metric
                    notes.append("No data given: section 5 shows \(file)'s front with the metric it stores; "
                        + "the uniform plans' sizes are listed unmeasured.")
                }
                points += pareto.points.enumerated().map { index, point in
                    .init(label: "Pareto point \(index + 1)", kind: .pareto, sizeBytes: point.sizeBytes, value: point.value)
                }
            }
        }
        let measured = points.contains { $0.value != nil }
        let omitted: String? = measured ? nil : "No data given (--data), so no plan's metric is measured: the chart "
            + "of metric against size is omitted. The plans' sizes are listed below."
        return ReportTradeoff(metric: metric, points: points, omitted: omitted)
    }

    static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
