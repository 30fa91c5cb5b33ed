import ArgumentParser
import Foundation
import LatheCore

/// `lathe bench`: how fast the live engine answers, in one process.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the live engine: full pass, re-evaluation after a layer change, first update.",
        discussion: """
            full_eval_s: a full pass of the uncompressed model without caching (as lathe eval); \
            cold_engine_pass_s: the engine's first, cache-filling pass; reeval_last_layer_s / reeval_first_layer_s: evaluation after setting the last / first \
            weight layer to 4 bits, warm cache; first_update_ms: from apply to the first snapshot with \
            accuracy after changing the first layer (first_update_last_layer_ms: the last layer); \
            cache_bytes: activation cache held afterwards. Ratios are against full_eval_s. \
            --sweep adds a cold 3-level (2, 4, 8 bits) sensitivity sweep, levels stopping early as \
            lathe sensitivity's do by default (--stop-at 0.05), and its cost relative to \
            layers × 3 full passes. The full pass, the cache-filling pass, the two re-evaluations and the \
            sweep are each timed --repeat times (default 3; the first four in turn, so a busy stretch of the \
            machine slows a ratio's two sides alike) and the fastest is reported.
            """
    )

    @OptionGroup var inputs: ModelDataOptions

    @OptionGroup var scored: ScoredOutputOption

    @OptionGroup var batching: BatchOptions

    @OptionGroup var activationCache: ActivationCacheOption

    @Flag(help: "Also time a 3-level bits sweep of every layer.")
    var sweep = false

    @Option(help: "Time the full pass, the cache-filling pass, the re-evaluations and the sweep this many times; the fastest counts.")
    var `repeat` = 3

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        try inputs.checkData()
        try EngineCommandSupport.validate(batch: batching.batch, threads: batching.threads,
                                          cacheMB: activationCache.cacheMB)
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1, got \(`repeat`)") }
    }

    func run() throws {
        let model = inputs.model
        let dataSets = try NamedDataFile.parse(inputs.data)
        let loaded = try EngineCommandSupport.load(model: model, sets: dataSets, scored: scored,
                                                   batch: batching.batch, threads: batching.threads,
                                                   cacheMB: activationCache.cacheMB)
        // Each set is timed on its own, one after the other (its evaluator's options, cache share included).
        var results: [BenchResult] = []
        for (set, dataset) in zip(loaded.sets, loaded.datasets) {
            results.append(try Loading.naming(model) {
                try Bench.run(session: set.evaluator.session, dataset: dataset, options: set.evaluator.options,
                              includeSweep: sweep, repeats: `repeat`)
            })
        }
        let names = loaded.sets.map(\.name)
        if json {
            guard var members = results.first.map({ Self.members($0, model: model, data: dataSets[0].path) }) else { return }
            if results.count > 1 {
                members.append(("sets", .object(zip(names, zip(dataSets, results)).map { name, pair in
                    (name, .object(Self.members(pair.1, model: model, data: pair.0.path)))
                })))
            }
            print(JSONValue.object(members).rendered())
        } else if results.count == 1 {
            print(Self.text(results[0]))
        } else {
            print(zip(names, zip(dataSets, results)).map { name, pair in
                "set \(name) (\(pair.0.path))\n" + Self.text(pair.1)
            }.joined(separator: "\n\n"))
        }
    }

    /// One set's timings as JSON keys; with several sets the first set's are the top level and `sets` holds each.
    static func members(_ r: BenchResult, model: String, data: String) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [
            ("model", .string(model)),
            ("data", .string(data)),
            ("samples", .int(r.samples)),
            ("layers", .int(r.layers)),
            ("batch", .int(r.batchSize)),
            ("threads", .int(r.threads)),
            ("repeats", .int(r.repeats)),
            ("full_eval_s", .double(r.fullEvalSeconds)),
            ("reeval_last_layer_s", .double(r.reevalLastLayerSeconds)),
            ("reeval_first_layer_s", .double(r.reevalFirstLayerSeconds)),
            ("first_update_ms", .double(r.firstUpdateMilliseconds)),
            ("first_update_last_layer_ms", .double(r.firstUpdateLastLayerMilliseconds)),
            ("cache_bytes", .int(r.cacheBytes)),
            ("cold_engine_pass_s", .double(r.coldEnginePassSeconds)),
            ("reeval_last_layer_ratio", .double(r.reevalLastLayerRatio)),
            ("reeval_first_layer_ratio", .double(r.reevalFirstLayerRatio)),
            // What the timings were taken with: the same model runs at a different speed on other kernels.
            ("blas_kernels", .string(Engine.blasKernels)),
            ("blas_threads", .int(Engine.blasThreads)),
        ]
        if let sweep = r.sweepSeconds, let ratio = r.sweepCostRatio {
            members.append(("sweep_3_bits_s", .double(sweep)))
            members.append(("sweep_cost_ratio", .double(ratio)))
        }
        return members
    }

    static func text(_ r: BenchResult) -> String {
        var rows = [
            ["samples", "\(TextFormatting.grouped(r.samples)) (batch \(r.batchSize), \(r.threads) threads, \(r.layers) layers; "
                + "fastest of \(r.repeats))"],
            ["full pass", String(format: "%.3f s (the engine's first, cache-filling pass: %.3f s)", r.fullEvalSeconds,
                                 r.coldEnginePassSeconds)],
            ["last layer changed", String(format: "%.3f s (%.1f%% of a full pass)", r.reevalLastLayerSeconds,
                                          100 * r.reevalLastLayerRatio)],
            ["first layer changed", String(format: "%.3f s (%.2f× a full pass)", r.reevalFirstLayerSeconds,
                                           r.reevalFirstLayerRatio)],
            ["first update", String(format: "%.1f ms (last layer changed: %.1f ms)", r.firstUpdateMilliseconds,
                                    r.firstUpdateLastLayerMilliseconds)],
            ["activation cache", TextFormatting.bytes(r.cacheBytes)],
            ["BLAS", "OpenBLAS, \(Engine.blasKernels) kernels, \(Engine.blasThreads) thread per call"],
        ]
        if let sweep = r.sweepSeconds, let ratio = r.sweepCostRatio {
            rows.append(["3-level bits sweep", String(format: "%.2f s (%.2f of layers × 3 full passes)", sweep, ratio)])
        }
        return TextFormatting.table(rows)
    }
}
