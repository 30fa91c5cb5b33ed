extension PlanEvaluator {
    /// The plan's compressed weights (and corrected biases) exactly as its evaluation runs them:
    /// cached per tensor and settings, GPTQ / SparseGPT / bias correction calibrated on this
    /// evaluator's calibration data. What an export writes.
    public func compressedWeights(_ plan: CompressionPlan) throws -> [String: Tensor] {
        let canonical = plan.canonical
        let calibrated = layers.filter { canonical.settings(for: $0.name).needsCalibration }
        let statistics = calibrated.isEmpty ? [:] : try inputStatistics(for: calibrated)
        return try Compressor.compress(weights: session.weights, layers: layers, plan: canonical,
                                       cache: weightCache, calibration: statistics)
    }
}
