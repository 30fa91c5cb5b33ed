/// Applies the GPTQ / SparseGPT pass to a layer: its weight as one row per output channel,
/// grouped like its inputs (a Conv's groups each with their own Hessian; a depthwise channel
/// alone; a recurrent weight's directions each with their own). Each row's grid is chosen as round-to-nearest chooses it: from the row's surviving
/// weights under magnitude pruning, from all its weights under SparseGPT (whose mask is not
/// known before the pass). With SparseGPT and integer bits, pruning and rounding are one pass.
enum HessianRounding {
    /// Whether the settings take this path rather than round-to-nearest / magnitude pruning.
    static func applies(to settings: LayerSettings) -> Bool {
        (settings.isUniformlyQuantized && settings.method == .gptq) || settings.usesSparseGPT
    }

    static func compress(_ prepared: Compressor.Prepared, weight: Tensor, layer: WeightLayer,
                         settings: LayerSettings, statistics: LayerInputStatistics) throws -> Tensor {
        if layer.op.isRecurrent {
            return try compressRecurrent(prepared, weight: weight, layer: layer, settings: settings, statistics: statistics)
        }
        let layout = AxisLayout(shape: layer.shape, axis: layer.channelAxis)
        let channels = layout.length, columns = layout.sliceSize
        guard statistics.columns == columns, statistics.groups >= 1, channels % statistics.groups == 0 else {
            throw LatheError.internalFailure("\(layer.name): input statistics (\(statistics.groups) groups of "
                + "\(statistics.columns)) do not fit a weight of \(channels) × \(columns)")
        }
        // For 2:4 the reduction axis becomes the innermost column axis, so groups of four are consecutive.
        let order = ColumnOrder(layer: layer, columns: columns, reductionInnermost: settings.usesSparseGPT
                                    && settings.structure == .twoFour)
        let rows = order.apply(layout.gather(prepared.values), rows: channels)
        let keep = prepared.keep.map { order.apply(layout.gather($0), rows: channels) }
        let quantizers = try rowQuantizers(rows, keep: keep, channels: channels, columns: columns, settings: settings)
        var pruning: GPTQ.Pruning?
        if settings.usesSparseGPT {
            pruning = GPTQ.Pruning(kind: settings.structure == .twoFour ? .twoFour(lineLength: order.lineLength)
                                       : .unstructured(ratio: settings.prune))
        }
        let perGroup = channels / statistics.groups
        var result: [Float] = []
        result.reserveCapacity(rows.count)
        for group in 0..<statistics.groups {
            let span = (group * perGroup * columns)..<((group + 1) * perGroup * columns)
            let solved = try GPTQ.solve(Array(rows[span]), rows: perGroup, columns: columns,
                                        hessian: order.apply(hessian: statistics.hessian(group: group)),
                                        quantizers: quantizers.map { Array($0[(group * perGroup)..<((group + 1) * perGroup)]) },
                                        keep: keep.map { Array($0[span]) }, pruning: pruning)
            result += solved.values
            pruning?.elementsBefore += span.count
            pruning?.prunedBefore += solved.pruned
        }
        var values = layout.scatter(order.revert(result, rows: channels))
        switch settings.bits {
        case .fp16: HalfPrecision.round(&values, to: .float16)
        case .bf16: HalfPrecision.round(&values, to: .bfloat16)
        case .integer, .float32: break
        }
        return Tensor(shape: weight.shape, floats: values, dtype: weight.dtype)
    }

    /// A recurrent W [D, G·H, I] or R [D, G·H, H]: a row is one of the G·H gate rows with every
    /// direction's columns (so its grid is round-to-nearest's, chosen over all of them); each
    /// direction's columns are solved on their own, with that direction's Hessian (R), or the one
    /// Hessian of X every direction shares (W).
    static func compressRecurrent(_ prepared: Compressor.Prepared, weight: Tensor, layer: WeightLayer,
                                  settings: LayerSettings, statistics: LayerInputStatistics) throws -> Tensor {
        let layout = AxisLayout(shape: layer.shape, axis: layer.channelAxis)
        let channels = layout.length, columns = layout.sliceSize
        let directions = layer.shape[0], n = layer.shape[2]
        guard statistics.columns == n, statistics.groups == 1 || statistics.groups == directions,
              directions * n == columns else {
            throw LatheError.internalFailure("\(layer.name): input statistics (\(statistics.groups) groups of "
                + "\(statistics.columns)) do not fit a recurrent weight of shape \(layer.shape)")
        }
        let rows = layout.gather(prepared.values)
        let keep = prepared.keep.map { layout.gather($0) }
        let quantizers = try rowQuantizers(rows, keep: keep, channels: channels, columns: columns, settings: settings)
        var pruning: GPTQ.Pruning?
        if settings.usesSparseGPT {
            pruning = GPTQ.Pruning(kind: settings.structure == .twoFour ? .twoFour(lineLength: n)
                                       : .unstructured(ratio: settings.prune))
        }
        func columnsOf<T>(_ values: [T], direction d: Int) -> [T] {
            var out: [T] = []
            out.reserveCapacity(channels * n)
            for r in 0..<channels {
                let start = r * columns + d * n
                out += values[start..<(start + n)]
            }
            return out
        }
        var result = rows
        for d in 0..<directions {
            let solved = try GPTQ.solve(columnsOf(rows, direction: d), rows: channels, columns: n,
                                        hessian: statistics.hessian(group: statistics.groups == 1 ? 0 : d),
                                        quantizers: quantizers, keep: keep.map { columnsOf($0, direction: d) },
                                        pruning: pruning)
            for r in 0..<channels {
                for j in 0..<n { result[r * columns + d * n + j] = solved.values[r * n + j] }
            }
            pruning?.elementsBefore += channels * n
            pruning?.prunedBefore += solved.pruned
        }
        var values = layout.scatter(result)
        switch settings.bits {
        case .fp16: HalfPrecision.round(&values, to: .float16)
        case .bf16: HalfPrecision.round(&values, to: .bfloat16)
        case .integer, .float32: break
        }
        return Tensor(shape: weight.shape, floats: values, dtype: weight.dtype)
    }

    /// Per row, the block quantizer round-to-nearest would use (nil when the bits are not integer).
    static func rowQuantizers(_ rows: [Float], keep: [Bool]?, channels: Int, columns: Int,
                              settings: LayerSettings) throws -> [BlockQuantizer]? {
        guard settings.isUniformlyQuantized, case .integer(let bits) = settings.bits else { return nil }
        func survivors(_ range: Range<Int>) -> [Float] { range.filter { keep?[$0] ?? true }.map { rows[$0] } }
        if settings.granularity == .perTensor {
            return Array(repeating: UniformQuantizer.blockQuantizer(survivors(0..<rows.count), bits: bits,
                                                                    settings: settings), count: channels)
        }
        return (0..<channels).map { c in
            UniformQuantizer.blockQuantizer(survivors((c * columns)..<((c + 1) * columns)), bits: bits, settings: settings)
        }
    }
}

/// A permutation of a weight row's columns: identity, or for a Conv row (channel, taps…) the
/// order (taps…, channel), which puts the reduction axis innermost.
struct ColumnOrder {
    /// Columns per line of the reduction axis (its length when innermost; the whole row otherwise).
    let lineLength: Int
    /// New position → old position; nil for the identity.
    private let source: [Int]?

    init(layer: WeightLayer, columns: Int, reductionInnermost: Bool) {
        // A Conv row is (in channel of the group, taps…), a ConvTranspose row (in channel, taps…).
        let isConvolution = layer.op == .conv || layer.op == .convTranspose
        let channelsPerRow = layer.op == .conv ? layer.shape[1] : layer.op == .convTranspose ? layer.shape[0] : columns
        let taps = max(1, columns / max(channelsPerRow, 1))
        guard reductionInnermost, isConvolution, taps > 1 else {
            lineLength = reductionInnermost ? channelsPerRow : columns
            source = nil
            return
        }
        lineLength = channelsPerRow
        source = (0..<columns).map { position in (position % channelsPerRow) * taps + position / channelsPerRow }
    }

    func apply<T>(_ rowMajor: [T], rows: Int) -> [T] {
        guard let source else { return rowMajor }
        let n = source.count
        var out = rowMajor
        for r in 0..<rows {
            for (new, old) in source.enumerated() { out[r * n + new] = rowMajor[r * n + old] }
        }
        return out
    }

    func revert<T>(_ rowMajor: [T], rows: Int) -> [T] {
        guard let source else { return rowMajor }
        let n = source.count
        var out = rowMajor
        for r in 0..<rows {
            for (new, old) in source.enumerated() { out[r * n + old] = rowMajor[r * n + new] }
        }
        return out
    }

    func apply(hessian: [Double]) -> [Double] {
        guard let source else { return hessian }
        let n = source.count
        var out = hessian
        for i in 0..<n {
            for j in 0..<n { out[i * n + j] = hessian[source[i] * n + source[j]] }
        }
        return out
    }
}
