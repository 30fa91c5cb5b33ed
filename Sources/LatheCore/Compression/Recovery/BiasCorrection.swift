/// Empirical bias correction (Nagel et al. 2019; the README's "Recovery methods"): after a
/// layer's weights W are compressed to Ŵ, each output channel's bias absorbs the mean
/// output error on calibration data, E[Wx] − E[Ŵx] = (W − Ŵ)·E[x], with E[x] the mean
/// input vector of the channel's group; sums in float64, the bias rounded to float32.
enum BiasCorrection {
    /// The corrected bias. `original` and `compressed` are the layer's weights as stored.
    static func corrected(bias: Tensor, original: Tensor, compressed: Tensor, layer: WeightLayer,
                          statistics: LayerInputStatistics) throws -> Tensor {
        let layout = AxisLayout(shape: layer.shape, axis: layer.channelAxis)
        let channels = layout.length
        guard bias.isFloat, bias.count == channels else {
            throw LatheError.badInput("\(layer.name): bias_correction needs a bias of \(channels) values; "
                + "\(layer.biasName ?? "its bias") has shape \(bias.shape)")
        }
        let columns = layout.sliceSize
        guard statistics.columns == columns, channels % statistics.groups == 0 else {
            throw LatheError.internalFailure("\(layer.name): input statistics do not fit the weight")
        }
        let rows = layout.gather(original.floats), rounded = layout.gather(compressed.floats)
        let perGroup = channels / statistics.groups
        var result = bias.floats
        for group in 0..<statistics.groups {
            let mean = statistics.mean(group: group)
            for channel in (group * perGroup)..<((group + 1) * perGroup) {
                var delta = 0.0
                for j in 0..<columns {
                    let index = channel * columns + j
                    delta += (Double(rows[index]) - Double(rounded[index])) * mean[j]
                }
                result[channel] = Float(Double(result[channel]) + delta)
            }
        }
        return Tensor(shape: bias.shape, floats: result, dtype: bias.dtype)
    }
}
