/// Bytes a deployed model file would need (DESIGN.md, "Size model").
///
/// Per weight tensor:
/// - unchanged: its stored dtype, or for an integer weight behind DequantizeLinear
///   (`WeightLayer.stored`) its integer storage: packed weights + scales + zero points;
/// - stored weights: all, or after pruning the n − floor(p·n) survivors (unstructured),
///   the weights of the C − floor(p·C) kept channels (channel; pruned channels store
///   nothing), or 2 of every 4 along the reduction axis (2:4, min(r, 2) of a trailing r);
/// - payload bits per stored weight: b (integer), 16 (fp16/bf16), ceil(log2 k) (sharing),
///   the stored dtype's bits (float kept);
/// - scales: integer formats only, one fp32 per kept channel or one per tensor, plus one
///   8-bit zero-point each when asymmetric;
/// - codebook: k fp32 entries, counted once per share group (on its first layer in order);
/// - index: unstructured sparsity with anything removed stores the cheaper of an n-bit mask
///   and 32 bits per survivor; 2:4 stores 2 bits per kept weight;
/// - low-rank (k < full rank): the two factors [out, k] and [k, in] are stored, k·(out+in)
///   weights, with per-channel scales for each factor's rows (out + k) or one per factor;
///   a recurrent weight [D, G·H, in] stores such a pair per direction;
/// - bit counts are rounded up to whole bytes per component (payload, index) per tensor.
public enum SizeModel {
    /// The uncompressed deployment: every tensor at its stored dtype.
    public static func baselineBytes(of tensors: [String: Tensor]) -> Int {
        tensors.values.reduce(0) { $0 + $1.storedBytes }
    }

    /// The uncompressed deployment of a model whose `layers` may be stored as integers behind
    /// DequantizeLinear (`WeightLayer.stored`): those at their integer storage, everything else
    /// at its stored dtype.
    public static func baselineBytes(of tensors: [String: Tensor], layers: [WeightLayer]) -> Int {
        layers.reduce(baselineBytes(of: tensors)) { total, layer in
            guard let stored = layer.stored else { return total }
            return total - (tensors[layer.name]?.storedBytes ?? 0) + stored.size.total
        }
    }

    /// One layer's weight as the file stores it: its integer storage (weights, scales and zero
    /// points) when it is quantized there, else `dtype` (the weight tensor's stored dtype).
    public static func baselineBytes(of layer: WeightLayer, dtype: DType) -> Int {
        layer.stored?.size.total ?? dtype.packedBytes(count: layer.params)
    }

    /// Size of every tensor in `tensors` under `plan`, with per-layer breakdowns,
    /// MACs and BOPs. `tensors` is everything a deployed file holds (the baseline);
    /// a layer whose weight is missing from it is taken as float32 of its shape.
    /// The plan is assumed valid (`CompressionPlan.validate`).
    public static func report(tensors: [String: Tensor], layers: [WeightLayer], plan: CompressionPlan) -> SizeReport {
        var codebookCounted = Set<String>()
        var costs: [LayerCost] = []
        let layerNames = Set(layers.map(\.name))
        for layer in layers {
            let settings = plan.settings(for: layer.name)
            let dtype = tensors[layer.name]?.dtype ?? .float32
            var countCodebook = true
            if settings.isShared, let group = settings.shareGroup {
                countCodebook = codebookCounted.insert(group).inserted
            }
            var (size, stored) = tensorSize(layer: layer, dtype: dtype, settings: settings,
                                            includeCodebook: countCodebook)
            if AddedBias.applies(to: layer, settings: settings) { size.bias = AddedBias.bytes(of: layer) }
            costs.append(LayerCost(name: layer.name, settings: settings, size: size,
                                   baselineBytes: baselineBytes(of: layer, dtype: dtype), storedWeights: stored,
                                   macs: layer.macs, weightBits: weightOperandBits(settings),
                                   activationBits: settings.activationBits ?? 32))
        }
        let other = tensors.filter { !layerNames.contains($0.key) }.values.reduce(0) { $0 + $1.storedBytes }
        let missing = layers.filter { tensors[$0.name] == nil }.reduce(0) { $0 + $1.params * 4 }
        return SizeReport(layers: costs, otherBytes: other,
                          baselineBytes: baselineBytes(of: tensors, layers: layers) + missing)
    }

    /// Bytes of one layer's weight under `settings`, and the number of weights stored.
    public static func tensorSize(layer: WeightLayer, dtype: DType, settings: LayerSettings,
                                  includeCodebook: Bool = true) -> (size: TensorSize, storedWeights: Int) {
        let n = layer.params
        guard settings.changesWeights else {
            // Unchanged: as the file stores it (integers behind DequantizeLinear, or its dtype).
            return (layer.stored?.size ?? TensorSize(payload: dtype.packedBytes(count: n)), n)
        }
        let valueBits = payloadBits(settings, dtype: dtype)
        var size = TensorSize()

        if settings.isLowRank, let rank = settings.rank {
            let (count, rows, columns) = LowRank.blocks(layer)
            let k = LowRank.keptRank(fraction: rank, rows: rows, columns: columns)
            if k < min(rows, columns) {
                let stored = count * k * (rows + columns)
                size.payload = bytes(bits: stored * valueBits)
                if settings.isUniformlyQuantized {
                    let scales = count * (settings.granularity == .perChannel ? rows + k : 2)
                    size.scales = 4 * scales
                    if settings.scheme == .asymmetric { size.zeroPoints = scales }
                }
                return (size, stored)
            }
        }

        let channels = layer.channels
        var keptChannels = channels
        var stored = n
        if settings.isPruned {
            switch settings.structure {
            case .unstructured:
                let removed = Pruner.removedCount(ratio: settings.prune, of: n)
                stored = n - removed
                if removed > 0 { size.index = bytes(bits: min(n, 32 * stored)) }
            case .channel:
                keptChannels = channels - Pruner.removedCount(ratio: settings.prune, of: channels)
                stored = channels == 0 ? 0 : n / channels * keptChannels
            case .twoFour:
                stored = Pruner.twoFourKeptCount(shape: layer.shape, reductionAxis: layer.reductionAxis)
                size.index = bytes(bits: 2 * stored)
            }
        }
        size.payload = bytes(bits: stored * valueBits)
        if let clusters = settings.clusters {
            if includeCodebook { size.codebook = 4 * clusters }
        } else if settings.isUniformlyQuantized {
            let scales = settings.granularity == .perChannel ? keptChannels : 1
            size.scales = 4 * scales
            if settings.scheme == .asymmetric { size.zeroPoints = scales }
        }
        return (size, stored)
    }

    /// Bits one stored weight takes under `settings`.
    public static func payloadBits(_ settings: LayerSettings, dtype: DType) -> Int {
        if let clusters = settings.clusters { return indexBits(clusters: clusters) }
        switch settings.bits {
        case .float32: return dtype.bits
        case .integer(let bits): return bits
        case .fp16, .bf16: return 16
        }
    }

    /// ceil(log2 k).
    public static func indexBits(clusters k: Int) -> Int {
        var bits = 0
        while (1 << bits) < k { bits += 1 }
        return bits
    }

    static func weightOperandBits(_ settings: LayerSettings) -> Int {
        if settings.isShared { return 32 }
        return settings.bits.bitsPerWeight
    }

    static func bytes(bits: Int) -> Int { (bits + 7) / 8 }
}
