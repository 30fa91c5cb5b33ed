import Foundation

/// Timings of the live engine on one model and dataset (`lathe bench`).
public struct BenchResult: Sendable, Equatable {
    public var samples: Int
    public var layers: Int
    public var batchSize: Int
    public var threads: Int
    /// Times each of the full pass, the cache-filling pass, the re-evaluations and the sweep was run (the fastest
    /// is kept).
    public var repeats: Int
    /// A full pass of the data: the uncompressed model through `PlanEvaluator.evaluate`
    /// with no activation cache (what `lathe eval` costs), the reference of every ratio below; the fastest of those
    /// timed beside the other figures (and, with a sweep, beside each sweep).
    public var fullEvalSeconds: Double
    /// The live engine's first pass (uncompressed, cold cache, filling it).
    public var coldEnginePassSeconds: Double
    /// Re-evaluation after changing the last / first weight layer's bits, warm cache.
    public var reevalLastLayerSeconds: Double
    public var reevalFirstLayerSeconds: Double
    /// From `LiveSession.apply` (first layer changed, warm cache) to the first snapshot with a metric.
    public var firstUpdateMilliseconds: Double
    /// The same after changing the last layer.
    public var firstUpdateLastLayerMilliseconds: Double
    /// Activation cache held after these runs.
    public var cacheBytes: Int
    /// A 3-level bits sweep (2, 4, 8) of every layer, cold, if measured: `lathe sensitivity`'s, levels stopping
    /// early at the default stop loss.
    public var sweepSeconds: Double?

    /// reeval_last_layer / full_eval.
    public var reevalLastLayerRatio: Double { reevalLastLayerSeconds / fullEvalSeconds }
    /// reeval_first_layer / full_eval: what refilling the activation cache adds to a pass that recomputes everything.
    public var reevalFirstLayerRatio: Double { reevalFirstLayerSeconds / fullEvalSeconds }
    /// Sweep time / (layers × 3 full evaluations).
    public var sweepCostRatio: Double? { sweepSeconds.map { $0 / (Double(layers) * 3 * fullEvalSeconds) } }
}

/// Measures the live engine in one process (see `BenchResult` for each figure).
public enum Bench {
    /// - Parameter repeats: how many times the full pass, the cache-filling pass, the re-evaluations and the sweep
    ///   are timed (the first four taking turns); each figure is the fastest (a shared machine only ever adds time),
    ///   the cache emptied before each filling pass.
    public static func run(session: InferenceSession, dataset: Dataset, options: EvaluatorOptions = EvaluatorOptions(),
                           includeSweep: Bool = false, repeats: Int = 1) throws -> BenchResult {
        let layers = session.layers
        guard let first = layers.first, let last = layers.last else {
            throw LatheError.badInput(file: session.modelPath, "the model has no weight layers to change")
        }
        guard repeats >= 1 else { throw LatheError.badInput("--repeat must be at least 1, got \(repeats)") }
        var plainOptions = options
        plainOptions.cacheCapacityBytes = 0
        let evaluator = try PlanEvaluator(session: session, dataset: dataset, options: options)
        let changeLast = CompressionPlan(layers: layers, settings: [last.name: LayerSettings(bits: .integer(4))])
        let changeFirst = CompressionPlan(layers: layers, settings: [first.name: LayerSettings(bits: .integer(4))])
        // Compress outside the timings: they measure evaluation, and weights are cached per settings anyway.
        _ = try evaluator.prepare(changeLast)
        _ = try evaluator.prepare(changeFirst)

        // Each attempt times every figure once, in turn, so a busy stretch of a shared machine slows a plain pass
        // and the cached passes compared with it alike (timed in separate blocks, a ratio could take its
        // numerator from a quiet stretch and its denominator from a busy one, or the other way round).
        var full = Double.infinity, cold = Double.infinity
        var reevalLast = Double.infinity, reevalFirst = Double.infinity
        func plainPass() throws -> Double {
            let start = now()
            _ = try PlanEvaluator(session: session, dataset: dataset, options: plainOptions)
                .evaluate(.identity(layers: layers))
            return now() - start
        }
        for _ in 0..<repeats {
            full = min(full, try plainPass())

            // Cold: no cached activations, and a scorer that knows no baseline outputs. The pass leaves the
            // uncompressed plan's checkpoints cached, which both re-evaluations start from.
            evaluator.activations.removeAll()
            let context = JobContext.direct(scorer: PlanScorer(evaluator: evaluator))
            func timed(_ plan: CompressionPlan) throws -> Double {
                let start = now()
                _ = try context.evaluate(plan, .checkpoints, nil)
                return now() - start
            }
            cold = min(cold, try timed(.identity(layers: layers)))
            reevalLast = min(reevalLast, try timed(changeLast))
            reevalFirst = min(reevalFirst, try timed(changeFirst))
        }

        let live = LiveSession(evaluator: evaluator)
        live.waitUntilIdle()
        let firstUpdate = firstUpdateTime(live, CompressionPlan(layers: layers,
                                                               settings: [first.name: LayerSettings(bits: .integer(3))]))
        let lastUpdate = firstUpdateTime(live, CompressionPlan(layers: layers,
                                                              settings: [last.name: LayerSettings(bits: .integer(3))]))
        live.close()
        live.waitUntilIdle()
        let cacheBytes = evaluator.cacheBytes

        var sweep: Double?
        if includeSweep {
            evaluator.activations.removeAll()
            for _ in 0..<repeats {
                // A plain pass beside each sweep too: the ratio's denominator is the fastest of all of them.
                full = min(full, try plainPass())
                let fresh = try PlanEvaluator(session: session, dataset: dataset, options: options)
                let start = now()
                _ = try SensitivitySweep.run(evaluator: fresh, request: SensitivityRequest(
                    levels: SensitivityLevels(bits: [2, 4, 8]), model: session.modelPath, modelHash: "bench",
                    stopLoss: SensitivityRequest.defaultStopLoss))
                sweep = min(sweep ?? .infinity, now() - start)
            }
        }
        return BenchResult(samples: evaluator.feedData.count, layers: layers.count, batchSize: evaluator.schedule.batchSize,
                           threads: options.threads, repeats: repeats, fullEvalSeconds: full, coldEnginePassSeconds: cold,
                           reevalLastLayerSeconds: reevalLast, reevalFirstLayerSeconds: reevalFirst,
                           firstUpdateMilliseconds: firstUpdate * 1000,
                           firstUpdateLastLayerMilliseconds: lastUpdate * 1000, cacheBytes: cacheBytes,
                           sweepSeconds: sweep)
    }

    /// Seconds from `apply` to the first snapshot of that generation with a metric, then waits for the final.
    static func firstUpdateTime(_ live: LiveSession, _ plan: CompressionPlan) -> Double {
        let start = now()
        let generation = live.apply(plan)
        var elapsed = Double.infinity
        while true {
            let snapshot = live.latest()
            if snapshot.generation == generation, snapshot.hasMetric || snapshot.error != nil {
                elapsed = now() - start
                break
            }
            if snapshot.generation != generation { break }
            usleep(100)
        }
        live.waitUntilIdle()
        return elapsed
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
