/// The per-layer candidates of the search and their predictions, from a sweep.
///
/// Every layer may take each of the request's bit-widths (32 = keep float)
/// with round-to-nearest, and with GPTQ at the integer bit-widths below 8
/// where the request allows it and GPTQ applies to the layer; each of these
/// alone or with each pruning ratio (unstructured, magnitude). The predicted
/// degradation of a candidate is the sweep's measurement of that layer alone
/// at its quantization plus the one at its pruning ratio.
enum SearchCandidates {
    /// Bit-widths the sweep measures with GPTQ for `request`.
    static func gptqBits(_ request: SearchRequest) -> [Int] {
        request.methods.contains(.gptq) ? Set(request.bits).filter { $0 < 8 }.sorted() : []
    }

    static func knapsack(layers: [WeightLayer], weights: [String: Tensor], sensitivity: SensitivityReport,
                         request: SearchRequest, fixedBytes: Int) -> SearchKnapsack {
        let metric = sensitivity.baseline.metric ?? .top1
        let reference = sensitivity.baseline.value ?? (metric == .sqnr ? .infinity : 0)
        func drop(_ value: Double?) -> Double {
            guard let value, !value.isNaN else { return SearchKnapsack.unmeasured }
            return min(SearchKnapsack.unmeasured, max(0, metric.degradation(baseline: reference, value: value)))
        }
        let gptq = Set(gptqBits(request))
        let candidates = layers.map { layer -> [SearchKnapsack.Option] in
            let dtype = weights[layer.name]?.dtype ?? .float32
            let entry = sensitivity.layer(named: layer.name)
            var quantizations: [(settings: LayerSettings, drop: Double)] = []
            for b in Set(request.bits).sorted() {
                quantizations.append((SensitivityLevels.settings(bits: b), b == 32 ? 0 : drop(entry?.bits[b])))
                if gptq.contains(b), entry?.notApplicable.contains(.gptq(b)) != true,
                   SensitivityLevels.settings(gptq: b).problem(for: layer) == nil {
                    quantizations.append((SensitivityLevels.settings(gptq: b), drop(entry?.gptq[b])))
                }
            }
            var options: [SearchKnapsack.Option] = []
            for quantization in quantizations {
                for p in [0] + Set(request.prune).sorted() {
                    var settings = quantization.settings
                    settings.prune = p
                    guard settings.problem(for: layer) == nil else { continue }
                    let bytes = SizeModel.tensorSize(layer: layer, dtype: dtype, settings: settings).size.total
                    options.append(.init(settings: settings, bytes: bytes,
                                         drop: quantization.drop + (p == 0 ? 0 : drop(entry?.prune[p]))))
                }
            }
            if options.isEmpty {
                // Nothing applies: the layer stays as it is.
                let bytes = SizeModel.tensorSize(layer: layer, dtype: dtype, settings: LayerSettings()).size.total
                options.append(.init(settings: LayerSettings(), bytes: bytes, drop: 0))
            }
            return options
        }
        return SearchKnapsack(layers: layers, candidates: candidates, fixedBytes: fixedBytes)
    }

    /// Model bytes outside the layers' weights: the size report's total less the layers' own sizes.
    static func fixedBytes(evaluator: PlanEvaluator) -> Int {
        let identity = CompressionPlan.identity(layers: evaluator.layers)
        let layerBytes = evaluator.layers.reduce(0) { total, layer in
            let dtype = evaluator.session.weights[layer.name]?.dtype ?? .float32
            return total + SizeModel.tensorSize(layer: layer, dtype: dtype, settings: LayerSettings()).size.total
        }
        return evaluator.sizeReport(identity).totalBytes - layerBytes
    }
}
