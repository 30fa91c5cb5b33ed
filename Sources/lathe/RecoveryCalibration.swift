import LatheCore

/// The CLI side of calibration data for GPTQ and bias correction.
enum RecoveryCalibration {
    /// Whether any setting of the configuration needs layer input statistics.
    static func isNeeded(_ config: CompressionConfig) -> Bool {
        config.defaults.needsCalibration || config.layers.contains { $0.settings.needsCalibration }
    }

    /// Whether any setting quantizes activations (`abits`): their ranges calibrate on the same one source
    /// for every evaluation set (the first set, or --calib), so an export's one calibration is each set's.
    static func quantizesActivations(_ config: CompressionConfig) -> Bool {
        config.defaults.activationBits != nil || config.layers.contains { $0.settings.activationBits != nil }
    }

    /// Calibrating on the evaluated samples flatters the result: say so, once.
    static func noteOverlap(data: String, samples: Int) {
        Loading.note("method gptq / bias_correction calibrate on the first \(samples) samples of \(data), "
            + "which are also evaluated (give --calib FILE to keep them apart)")
    }
}
