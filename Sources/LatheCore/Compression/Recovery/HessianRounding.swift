/// Applies GPTQ to a layer: its weight as one row per output channel, grouped like its
/// inputs (a Conv's groups each with their own Hessian; a depthwise channel alone), each
/// row's grid chosen from its surviving weights exactly as round-to-nearest chooses it.
enum HessianRounding {
    static func quantize(_ prepared: Compressor.Prepared, weight: Tensor, layer: WeightLayer,
                         settings: LayerSettings, statistics: LayerInputStatistics) throws -> Tensor {
        guard case .integer(let bits) = settings.bits else { return weight }
        let layout = AxisLayout(shape: layer.shape, axis: layer.channelAxis)
        let channels = layout.length, columns = layout.sliceSize
        guard statistics.columns == columns, statistics.groups >= 1, channels % statistics.groups == 0 else {
            throw LatheError.internalFailure("\(layer.name): input statistics (\(statistics.groups) groups of "
                + "\(statistics.columns)) do not fit a weight of \(channels) × \(columns)")
        }
        let rows = layout.gather(prepared.values)
        let keep = prepared.keep.map { layout.gather($0) }
        func survivors(_ range: Range<Int>) -> [Float] { range.filter { keep?[$0] ?? true }.map { rows[$0] } }
        let quantizers: [BlockQuantizer]
        if settings.granularity == .perTensor {
            quantizers = Array(repeating: UniformQuantizer.blockQuantizer(survivors(0..<rows.count), bits: bits,
                                                                          settings: settings), count: channels)
        } else {
            quantizers = (0..<channels).map { c in
                UniformQuantizer.blockQuantizer(survivors((c * columns)..<((c + 1) * columns)), bits: bits,
                                                settings: settings)
            }
        }
        let perGroup = channels / statistics.groups
        var result: [Float] = []
        result.reserveCapacity(rows.count)
        for group in 0..<statistics.groups {
            let span = (group * perGroup * columns)..<((group + 1) * perGroup * columns)
            result += try GPTQ.quantize(Array(rows[span]), rows: perGroup, columns: columns,
                                        hessian: statistics.hessian(group: group),
                                        quantizers: Array(quantizers[(group * perGroup)..<((group + 1) * perGroup)]),
                                        keep: keep.map { Array($0[span]) })
        }
        return Tensor(shape: weight.shape, floats: layout.scatter(result), dtype: weight.dtype)
    }
}
