import Foundation

/// Applies a `CompressionPlan` to weight tensors: low-rank → prune →
/// share/quantize (DESIGN.md "Standard definitions"), returning fake-compressed
/// float tensors of the original shapes for `RunOptions.weights`.
///
/// Pure and deterministic: the result depends only on the weights, layers and
/// plan, never on thread count or call history. Independent layers (and share
/// groups) are compressed in parallel.
public enum Compressor {
    /// Replacement tensors for every layer whose weights the plan changes, and the corrected
    /// biases of layers with `bias_correction` (a layer without a bias gets one, named `AddedBias.name`).
    /// - Parameter cache: reuse results computed earlier for the same tensor and settings (and calibration).
    /// - Parameter calibration: input statistics of the layers whose settings need them (`needsCalibration`).
    public static func compress(weights: [String: Tensor], layers: [WeightLayer], plan: CompressionPlan,
                                cache: CompressedWeightCache? = nil,
                                calibration: [String: LayerInputStatistics] = [:]) throws -> [String: Tensor] {
        try plan.validate(layers: layers)
        let changed = layers.filter { plan.settings(for: $0.name).changesWeights }
        for layer in changed where weights[layer.name]?.isFloat != true {
            throw LatheError.badInput("layer \(layer.name): no floating-point weight tensor of that name")
        }
        for layer in changed where plan.settings(for: layer.name).needsCalibration && calibration[layer.name] == nil {
            throw LatheError.badInput("layer \(layer.name): \(plan.settings(for: layer.name).calibrationUse) "
                + "needs calibration data (an evaluation set)")
        }
        // Units of work: a single layer, or all layers of one share group.
        var units: [[WeightLayer]] = []
        var groupIndex: [String: Int] = [:]
        for layer in changed {
            let settings = plan.settings(for: layer.name)
            if settings.isShared, let group = settings.shareGroup {
                if let index = groupIndex[group] {
                    units[index].append(layer)
                } else {
                    groupIndex[group] = units.count
                    units.append([layer])
                }
            } else {
                units.append([layer])
            }
        }

        let work = units
        let results = LockedBox([Result<[String: Tensor], Error>?](repeating: nil, count: work.count))
        DispatchQueue.concurrentPerform(iterations: work.count) { index in
            let unit = work[index]
            let key = CompressedWeightCache.Key(layers: unit.map { ($0.name, plan.settings(for: $0.name)) })
            do {
                let tensors: [String: Tensor]
                if let cached = cache?.value(for: key) {
                    tensors = cached
                } else {
                    tensors = try compressUnit(unit, weights: weights, plan: plan, calibration: calibration)
                    cache?.store(tensors, for: key)
                }
                results.withLock { $0[index] = .success(tensors) }
            } catch {
                results.withLock { $0[index] = .failure(error) }
            }
        }
        var output: [String: Tensor] = [:]
        for result in results.withLock({ $0 }) {
            guard let result else { throw LatheError.internalFailure("compression unit produced no result") }
            for (name, tensor) in try result.get() { output[name] = tensor }
        }
        for layer in changed where plan.settings(for: layer.name).biasCorrection {
            guard let original = weights[layer.name], let compressed = output[layer.name],
                  let statistics = calibration[layer.name] else { continue }
            if let biasName = layer.biasName, let bias = weights[biasName] {
                output[biasName] = try BiasCorrection.corrected(bias: bias, original: original, compressed: compressed,
                                                                layer: layer, statistics: statistics)
            } else if AddedBias.applies(to: layer, settings: plan.settings(for: layer.name)) {
                // A layer without a bias gets one, from zero (AddedBias).
                output[AddedBias.name(for: layer.name)] = try BiasCorrection.corrected(
                    bias: Tensor(shape: [layer.channels], floats: [Float](repeating: 0, count: layer.channels)),
                    original: original, compressed: compressed, layer: layer, statistics: statistics)
            }
        }
        return output
    }

    /// One layer's compressed weight, with its own codebook when shared (`shareGroup` is not consulted).
    /// - Parameter statistics: the layer's input statistics, needed by `method: gptq`.
    public static func compress(_ weight: Tensor, layer: WeightLayer, settings: LayerSettings,
                                statistics: LayerInputStatistics? = nil) throws -> Tensor {
        if let problem = settings.problem(for: layer) {
            throw LatheError.badInput("\(layer.name): \(problem.key): \(problem.message)")
        }
        let prepared = try prepare(weight, layer: layer, settings: settings)
        var values = prepared.values
        if let clusters = settings.clusters {
            let codebook = WeightSharing.codebook(WeightSharing.clusteredValues(values, keep: prepared.keep),
                                                  clusters: clusters)
            values = WeightSharing.apply(codebook, to: values, keep: prepared.keep)
        }
        if HessianRounding.applies(to: settings) && !prepared.encoded {
            guard let statistics else {
                throw LatheError.badInput("layer \(layer.name): \(settings.calibrationUse) needs calibration data "
                    + "(an evaluation set)")
            }
            return try HessianRounding.compress(prepared, weight: weight, layer: layer, settings: settings,
                                                statistics: statistics)
        }
        return finish(values, prepared: prepared, weight: weight, layer: layer, settings: settings)
    }

    /// A layer or a whole share group.
    static func compressUnit(_ unit: [WeightLayer], weights: [String: Tensor], plan: CompressionPlan,
                             calibration: [String: LayerInputStatistics] = [:]) throws -> [String: Tensor] {
        guard unit.count > 1 || plan.settings(for: unit[0].name).shareGroup != nil else {
            let layer = unit[0]
            guard let weight = weights[layer.name] else { return [:] }
            return [layer.name: try compress(weight, layer: layer, settings: plan.settings(for: layer.name),
                                             statistics: calibration[layer.name])]
        }
        // Share group: one codebook fitted on the pooled non-zero surviving weights of every member.
        var prepared: [(layer: WeightLayer, weight: Tensor, state: Prepared)] = []
        var pooled: [Float] = []
        for layer in unit {
            guard let weight = weights[layer.name] else { continue }
            let state = try prepare(weight, layer: layer, settings: plan.settings(for: layer.name))
            pooled += WeightSharing.clusteredValues(state.values, keep: state.keep)
            prepared.append((layer, weight, state))
        }
        let clusters = plan.settings(for: unit[0].name).clusters ?? 2
        let codebook = WeightSharing.codebook(pooled, clusters: clusters)
        var result: [String: Tensor] = [:]
        for (layer, weight, state) in prepared {
            let shared = WeightSharing.apply(codebook, to: state.values, keep: state.keep)
            result[layer.name] = finish(shared, prepared: state, weight: weight, layer: layer,
                                        settings: plan.settings(for: layer.name))
        }
        return result
    }

    struct Prepared {
        var values: [Float]
        var keep: [Bool]?
        /// Whether the weight was replaced by a quantized low-rank product already.
        var encoded: Bool
    }

    /// Low-rank (with its factors encoded) or pruning, before sharing/quantization.
    static func prepare(_ weight: Tensor, layer: WeightLayer, settings: LayerSettings) throws -> Prepared {
        guard weight.shape == layer.shape else {
            throw LatheError.badInput("layer \(layer.name): weight shape \(weight.shape) differs from \(layer.shape)")
        }
        var values = weight.floats
        // One matrix (rows = output channels), or one per direction of a recurrent weight; the export
        // stores these same factors (`LowRankFactors`).
        if let factors = try LowRankFactors(weight: weight, layer: layer, settings: settings) {
            return Prepared(values: factors.product(), keep: nil, encoded: true)
        }
        // SparseGPT chooses its mask during the pass (HessianRounding).
        guard settings.isPruned && !settings.usesSparseGPT else { return Prepared(values: values, keep: nil, encoded: false) }
        let keep = Pruner.mask(values, layer: layer, shape: layer.shape, settings: settings)
        for i in values.indices where !keep[i] { values[i] = 0 }
        return Prepared(values: values, keep: keep, encoded: false)
    }

    /// Quantization / float rounding of the survivors, then pruned weights forced back to exact zero.
    static func finish(_ values: [Float], prepared: Prepared, weight: Tensor, layer: WeightLayer,
                       settings: LayerSettings) -> Tensor {
        var result = values
        if !prepared.encoded && !settings.isShared {
            switch settings.bits {
            case .integer:
                result = UniformQuantizer.quantize(result, shape: layer.shape, channelAxis: layer.channelAxis,
                                                   settings: settings, keep: prepared.keep,
                                                   wholeNumbers: layer.op.holdsIntegers)
            case .fp16:
                HalfPrecision.round(&result, to: .float16)
            case .bf16:
                HalfPrecision.round(&result, to: .bfloat16)
            case .float32:
                break
            }
        }
        if let keep = prepared.keep {
            for i in result.indices where !keep[i] { result[i] = 0 }
        }
        return Tensor(shape: weight.shape, floats: result, dtype: weight.dtype)
    }

    /// A dense tensor encoded with the settings' weight format (used for low-rank factors).
    static func encodeDense(_ values: [Float], shape: [Int], channelAxis: Int, settings: LayerSettings) -> [Float] {
        switch settings.bits {
        case .integer:
            return UniformQuantizer.quantize(values, shape: shape, channelAxis: channelAxis, settings: settings)
        case .fp16:
            return HalfPrecision.rounded(values, to: .float16)
        case .bf16:
            return HalfPrecision.rounded(values, to: .bfloat16)
        case .float32:
            return values
        }
    }
}
