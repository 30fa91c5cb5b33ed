extension ReportHeatmap {
    /// From a sensitivity sweep (`lathe sensitivity`'s numbers): with a metric, each cell is the
    /// worst drop over the evaluation sets at that bit-width; data-free, the SQNR in dB.
    public init(sensitivity sets: SensitivitySets, bits: [Int]) {
        let report = sets.worst
        let layers = report.baseline.layerOrder.isEmpty ? report.layers.map(\.name) : report.baseline.layerOrder
        if let metric = report.baseline.metric {
            let cells = layers.map { name in bits.map { report.degradation(layer: name, at: .bits($0)) } }
            let partial = layers.map { name in bits.map { report.layer(named: name)?.partial[.bits($0)]?.samples } }
            self.init(measure: .drop(metric), bits: bits, layers: layers, cells: cells,
                      partialSamples: partial.contains { $0.contains { $0 != nil } } ? partial : [],
                      stopLoss: report.baseline.stopLoss)
        } else {
            let cells = layers.map { name in bits.map { report.layer(named: name)?.sqnrDB[$0] } }
            self.init(measure: .sqnrDB, bits: bits, layers: layers, cells: cells)
        }
    }

    /// The data-free SQNR of a weights-only checkpoint's layers (`lathe sensitivity CHECKPOINT`'s numbers).
    public init(checkpoint: CheckpointSensitivity) {
        self.init(measure: .sqnrDB, bits: checkpoint.bits, layers: checkpoint.layers.map(\.tensor.name),
                  cells: checkpoint.layers.map { layer in checkpoint.bits.map { layer.profile.sqnrDB[$0] } })
    }
}
