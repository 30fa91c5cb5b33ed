extension ReportCollector {
    /// The report of a weights-only checkpoint: no graph, so no data, metric or plan to apply. One scan
    /// of the mapped files gives every tensor's histogram and the layers' SQNR per bit-width
    /// (`CheckpointScan`, as `lathe inspect` and `lathe sensitivity` compute them).
    public static func collect(checkpoint: WeightCheckpoint, bits: [Int], request: Request) -> ReportContent {
        var notes = request.notes
        let profiles = CheckpointScan.profiles(checkpoint.tensors, bins: histogramBins, sqnrBits: bits)
        var rows: [ReportPlan.Row] = []
        var layers: [(name: String, profile: TensorProfile)] = []
        var layerBytes = 0
        for (tensor, profile) in zip(checkpoint.tensors, profiles) where tensor.isLayer {
            guard let profile else { continue }
            rows.append(ReportPlan.Row(name: tensor.name, op: nil, shape: tensor.shape,
                                       settings: "float (\(tensor.encoding.typeName))", originalBytes: tensor.bytes,
                                       size: TensorSize(payload: tensor.bytes)))
            layers.append((tensor.name, profile))
            layerBytes += tensor.bytes
        }
        let params = zip(checkpoint.tensors, profiles).reduce(0) { $0 + ($1.1 == nil ? 0 : $1.0.count) }
        let plan = ReportPlan(rows: rows, otherBytes: checkpoint.storedBytes - layerBytes,
                              totalBytes: checkpoint.storedBytes, baselineBytes: checkpoint.storedBytes)
        let summary = ReportSummary(modelFile: request.modelFile, format: request.format, layerCount: rows.count,
                                    params: params, originalBytes: checkpoint.storedBytes)
        let shown = layers.prefix(histogramLayerLimit)
        if layers.count > shown.count {
            notes.append("Weight histograms are drawn for the first \(shown.count) of \(layers.count) layers, to "
                + "keep the file small; the table and the heatmap list every layer.")
        }
        let histograms = shown.map { layer in
            ReportHistogramPair(layer: layer.name, before: layer.profile.histogram, after: layer.profile.histogram,
                                changed: false)
        }
        let heatmap = bits.isEmpty ? nil : ReportHeatmap(
            measure: .sqnrDB, bits: bits, layers: layers.map(\.name),
            cells: layers.map { layer in bits.map { layer.profile.sqnrDB[$0] } })
        let tradeoff = ReportTradeoff(metric: nil, points: [], omitted: "A weights-only checkpoint has no graph to run "
            + "data through, so no plan's metric can be measured: the chart of metric against size is omitted.")
        return ReportContent(summary: summary, plan: plan, histograms: histograms, heatmap: heatmap, tradeoff: tradeoff,
                             reproduce: request.reproduce, notes: notes)
    }
}
