import Foundation

/// What the explorer computes for a weights-only checkpoint in place of a live engine: the
/// size of a plan (`SizeModel` per layer, every other tensor as stored) and its data-free
/// error, the param-weighted SQNR of the compressed layers (`BitAllocation.weightedSQNR`).
/// A layer is decoded whole only when its settings change it (one at a time: memory stays
/// near the largest layer) and its noise is cached per settings, so an edit recomputes only
/// the layers it touched.
public final class CheckpointEvaluator: @unchecked Sendable {
    // @unchecked: `noiseCache` is guarded by `lock`; everything else is immutable.
    public let checkpoint: WeightCheckpoint
    /// The checkpoint's layers (float tensors of rank ≥ 2) and their `WeightLayer` form:
    /// channels along axis 0, reduction along axis 1, no MACs (there is no graph).
    public let tensors: [CheckpointTensor]
    public let layers: [WeightLayer]
    private let lock = NSLock()
    private var noiseCache: [String: (settings: LayerSettings, noiseRatio: Double)] = [:]

    public init(checkpoint: WeightCheckpoint) {
        self.checkpoint = checkpoint
        tensors = checkpoint.layerTensors
        layers = tensors.map(Self.layer)
    }

    public static func layer(_ tensor: CheckpointTensor) -> WeightLayer {
        WeightLayer(name: tensor.name, op: tensor.shape.count == 2 ? .gemm : .conv, nodeName: "", shape: tensor.shape,
                    channelAxis: 0, reductionAxis: 1, macs: 0)
    }

    /// The dtype compressed sizes count kept floats in (block formats decode to float32).
    static func dtype(_ tensor: CheckpointTensor) -> DType {
        if case .float(let dtype) = tensor.encoding { return dtype }
        return .float32
    }

    /// The layer's values as one float tensor (the whole layer in memory).
    public func weight(named name: String) -> Tensor? {
        guard let tensor = tensors.first(where: { $0.name == name }) else { return nil }
        var values = [Float](repeating: 0, count: tensor.count)
        values.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { tensor.decode(0..<tensor.count, into: base) }
        }
        tensor.release(0..<tensor.count)
        return Tensor(shape: tensor.shape, floats: values)
    }

    public struct Result: Sendable {
        public var sizeBytes: Int
        public var baselineBytes: Int
        public var layerSizes: [String: TensorSize]
        /// Param-weighted SQNR in dB (+inf when no layer is changed).
        public var sqnrDB: Double
    }

    /// Size and error of `plan`; `progress(done, total)` after each layer; nil when `isCancelled`
    /// turns true between layers.
    public func evaluate(_ plan: CompressionPlan, progress: (Int, Int) -> Void = { _, _ in },
                         isCancelled: () -> Bool = { false }) throws -> Result? {
        try plan.validate(layers: layers)
        let baseline = checkpoint.storedBytes
        var size = baseline
        var sizes: [String: TensorSize] = [:]
        var ratios: [Double] = []
        for (index, (tensor, layer)) in zip(tensors, layers).enumerated() {
            if isCancelled() { return nil }
            let settings = plan.settings(for: layer.name)
            if settings.changesWeights {
                let layerSize = SizeModel.tensorSize(layer: layer, dtype: Self.dtype(tensor), settings: settings).size
                sizes[layer.name] = layerSize
                size += layerSize.total - tensor.bytes
                ratios.append(try noiseRatio(tensor: tensor, layer: layer, settings: settings))
            } else {
                sizes[layer.name] = TensorSize(payload: tensor.bytes)
                ratios.append(0)
            }
            progress(index + 1, tensors.count)
        }
        let params = tensors.map(\.count)
        let sqnr = BitAllocation.weightedSQNR(params: params, sqnrDB: ratios.map { $0 > 0 ? -10 * log10($0) : .infinity })
        return Result(sizeBytes: size, baselineBytes: baseline, layerSizes: sizes, sqnrDB: sqnr)
    }

    /// Σ(w − ŵ)² / Σw² of one layer under `settings`, cached.
    func noiseRatio(tensor: CheckpointTensor, layer: WeightLayer, settings: LayerSettings) throws -> Double {
        if let cached = lock.withLock({ noiseCache[layer.name] }), cached.settings == settings { return cached.noiseRatio }
        guard let weight = weight(named: layer.name) else { return 0 }
        let compressed = try Compressor.compress(weight, layer: layer, settings: settings)
        var signal = 0.0, noise = 0.0
        for (w, q) in zip(weight.floats, compressed.floats) {
            signal += Double(w) * Double(w)
            noise += (Double(w) - Double(q)) * (Double(w) - Double(q))
        }
        let ratio = signal > 0 ? noise / signal : 0
        lock.withLock { noiseCache[layer.name] = (settings, ratio) }
        return ratio
    }

    /// The histogram marks of one layer under `settings` (`LayerAnalyzer`).
    public func analyze(name: String, settings: LayerSettings) -> LayerAnalysis {
        guard let weight = weight(named: name), let layer = layers.first(where: { $0.name == name }) else {
            return LayerAnalysis(settings: settings)
        }
        return (try? LayerAnalyzer.analyze(weight: weight, layer: layer, settings: settings)) ?? LayerAnalysis(settings: settings)
    }

    /// The data-free sensitivity at `bits`: per layer the SQNR at each bit-width (streamed, not decoded whole).
    public func sensitivity(bits: [Int]) -> [(name: String, sqnrDB: [Int: Double])] {
        let profiles = CheckpointScan.profiles(tensors, bins: 1, sqnrBits: bits)
        return zip(tensors, profiles).map { ($0.name, $1?.sqnrDB ?? [:]) }
    }
}
