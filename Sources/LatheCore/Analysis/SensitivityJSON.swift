import Foundation

/// The JSON form of a sensitivity report, used by `lathe sensitivity --json`,
/// by shard files for `--merge` and by the on-disk cache:
///
/// ```
/// {"baseline": {"metric": "top1", "value": 0.96, "samples": 2000, "model": …, "model_hash": …,
///               "data": …, "data_hash": …, "method": …, "levels": {"bits": [2, 4, 8], "prune": [], "clusters": [], "gptq": []},
///               "score": "…definition…", "layer_order": [...], "shard": "1/2"},
///  "layers": [{"name": "conv1.weight", "bits": {"2": 0.41, …}, "prune": {"0.5": …}, "clusters": {…}, "gptq": {…},
///              "sqnr_db": {"2": 9.8, …}, "partial": {"bits 2": {"samples": 256, "bound": 0.90}},
///              "margin_settled": {"bits 8": 128}, "score": 0.55}]}
/// ```
/// `baseline.stop_loss` is the loss past which a level's pass stopped (null: none did); `partial` lists the levels
/// that stopped, with the samples they ran and the best value the whole set could have reached;
/// `margin_settled` the levels whose pass stopped once the samples left kept their predictions
/// (`MarginStop`), with the samples they ran.
/// Values are the metric's (`ScoreMetric`: a fraction for top-1, agreement and cosine,
/// dB for SQNR, the output's units for mse and mae); an infinite SQNR is null.
extension SensitivityReport {
    public static let scoreDefinition = "mean over swept families of the metric's degradation at the most aggressive "
        + "level: the drop for top-1, agreement and cosine, 10^(-SQNR/10) above the baseline's for sqnr, the "
        + "relative increase for mse and mae (data-free: 10^(-SQNR/10) at the fewest bits)"

    public func renderJSON() -> String { jsonValue.rendered(.file) + "\n" }

    /// The report as one JSON object (`renderJSON`'s layout).
    public var jsonValue: JSONValue {
        func levels(_ pairs: [(String, Double)]) -> JSONValue { .object(pairs.map { ($0.0, .double($0.1)) }) }
        func numbers(_ values: [Double]) -> JSONValue { .array(values.map { .double($0) }) }
        var base: [(String, JSONValue)] = [
            ("metric", baseline.metric.map { .string($0.rawValue) } ?? .null),
            ("value", .number(baseline.value)),
            ("samples", .double(Double(baseline.samples))),
            ("model", .string(baseline.model)),
            ("model_hash", .string(baseline.modelHash)),
            ("data", baseline.data.map { .string($0) } ?? .null),
            ("data_hash", baseline.dataHash.map { .string($0) } ?? .null),
            ("method", .string(baseline.method)),
            ("levels", .object([
                ("bits", numbers(baseline.levels.bits.map(Double.init))),
                ("prune", numbers(baseline.levels.prune)),
                ("clusters", numbers(baseline.levels.clusters.map(Double.init))),
                ("gptq", numbers(baseline.levels.gptq.map(Double.init))),
            ])),
            ("score", .string(Self.scoreDefinition)),
            ("layer_order", .array(baseline.layerOrder.map { .string($0) })),
        ]
        if let shard = baseline.shard { base.append(("shard", .string(shard))) }
        base.append(("stop_loss", .number(baseline.stopLoss)))
        let entries: [JSONValue] = layers.map { layer in
            .object([
                ("name", .string(layer.name)),
                ("bits", levels(layer.bits.sorted { $0.key < $1.key }.map { (String($0.key), $0.value) })),
                ("prune", levels(layer.prune.sorted { $0.key < $1.key }.map { (Self.key($0.key), $0.value) })),
                ("clusters", levels(layer.clusters.sorted { $0.key < $1.key }.map { (String($0.key), $0.value) })),
                ("gptq", levels(layer.gptq.sorted { $0.key < $1.key }.map { (String($0.key), $0.value) })),
                ("sqnr_db", levels(layer.sqnrDB.sorted { $0.key < $1.key }.map { (String($0.key), $0.value) })),
                ("partial", .object(baseline.levels.entries.compactMap { level in
                    layer.partial[level].map { partial in
                        (level.jsonKey, .object([("samples", .double(Double(partial.samples))),
                                                 ("bound", .number(partial.bound))]))
                    }
                })),
                ("margin_settled", .object(baseline.levels.entries.compactMap { level in
                    layer.settledByMargin[level].map { (level.jsonKey, .double(Double($0))) }
                })),
                ("score", .number(layer.score)),
            ])
        }
        return JSONValue.object([("baseline", .object(base)), ("layers", .array(entries))])
    }

    /// Reads a report written by `renderJSON` (a shard file, a cache entry).
    public static func parse(_ data: Data, path: String) throws -> SensitivityReport {
        func bad(_ problem: String) -> LatheError { .badInput(file: path, "not a Lathe sensitivity report: \(problem)") }
        let document: JSONDocument
        do {
            document = try JSONDocument.parse([UInt8](data))
        } catch let error as JSONDocument.SyntaxError {
            throw bad("\(error.problem) at byte \(error.offset)")
        }
        guard let root = document.object else { throw bad("expected a JSON object") }
        guard let base = root["baseline"]?.object else { throw bad("missing \"baseline\"") }
        guard let entries = root["layers"]?.array else { throw bad("missing \"layers\"") }
        func string(_ object: [String: JSONDocument], _ key: String) throws -> String {
            guard let value = object[key]?.string else { throw bad("\"\(key)\" must be a string") }
            return value
        }
        func numbers(_ object: [String: JSONDocument]?, _ key: String) throws -> [Double] {
            guard let list = object?[key]?.array else { throw bad("\"levels.\(key)\" must be a list") }
            return try list.map { item in
                guard let number = item.number else { throw bad("\"levels.\(key)\" must hold numbers") }
                return number
            }
        }
        func integers(_ values: [Double], _ key: String) throws -> [Int] {
            try values.map { value in
                guard value == value.rounded(), abs(value) < 1e9 else { throw bad("\"levels.\(key)\" must hold integers") }
                return Int(value)
            }
        }
        let metric: ScoreMetric?
        if let name = base["metric"]?.string {
            // "top-1" is how reports written before `--metric` named top-1.
            guard let known = ScoreMetric(rawValue: name == "top-1" ? "top1" : name) else {
                throw bad("unknown metric \"\(name)\"")
            }
            metric = known
        } else {
            metric = nil
        }
        let levelsObject = base["levels"]?.object
        let levels = SensitivityLevels(bits: try integers(numbers(levelsObject, "bits"), "bits"),
                                       prune: try numbers(levelsObject, "prune"),
                                       clusters: try integers(numbers(levelsObject, "clusters"), "clusters"),
                                       // Absent from reports written before GPTQ levels existed.
                                       gptq: levelsObject?["gptq"] == nil ? []
                                           : try integers(numbers(levelsObject, "gptq"), "gptq"))
        let samples = base["samples"]?.number ?? 0
        let baseline = Baseline(
            metric: metric, value: base["value"]?.number,
            samples: samples.isFinite && abs(samples) < 1e15 ? Int(samples) : 0,
            model: try string(base, "model"), modelHash: try string(base, "model_hash"),
            data: base["data"]?.string, dataHash: base["data_hash"]?.string,
            method: try string(base, "method"), levels: levels,
            layerOrder: base["layer_order"]?.array?.compactMap(\.string) ?? [], shard: base["shard"]?.string,
            stopLoss: base["stop_loss"]?.number)

        func levelMap(_ object: [String: JSONDocument], _ key: String) throws -> [(String, Double)] {
            guard let map = object[key] else { return [] }
            guard let dictionary = map.object else { throw bad("\"\(key)\" must be an object") }
            return try dictionary.map { level, value in
                if value.isNull { return (level, Double.infinity) }
                guard let number = value.number else { throw bad("\"\(key)\".\"\(level)\" must be a number") }
                return (level, number)
            }
        }
        var layers: [Layer] = []
        for item in entries {
            guard let entry = item.object else { throw bad("\"layers\" must hold objects") }
            var layer = Layer(name: try string(entry, "name"))
            for (level, value) in try levelMap(entry, "bits") {
                guard let b = Int(level) else { throw bad("bits level \"\(level)\" is not an integer") }
                layer.bits[b] = value
            }
            for (level, value) in try levelMap(entry, "prune") {
                guard let p = Double(level) else { throw bad("prune level \"\(level)\" is not a number") }
                layer.prune[p] = value
            }
            for (level, value) in try levelMap(entry, "clusters") {
                guard let k = Int(level) else { throw bad("clusters level \"\(level)\" is not an integer") }
                layer.clusters[k] = value
            }
            for (level, value) in try levelMap(entry, "gptq") {
                guard let b = Int(level) else { throw bad("gptq level \"\(level)\" is not an integer") }
                layer.gptq[b] = value
            }
            for (level, value) in try levelMap(entry, "sqnr_db") {
                guard let b = Int(level) else { throw bad("sqnr_db level \"\(level)\" is not an integer") }
                layer.sqnrDB[b] = value
            }
            if let partial = entry["partial"] {
                // Absent from reports written before levels could stop early.
                guard let stopped = partial.object else { throw bad("\"partial\" must be an object") }
                for (key, item) in stopped {
                    guard let level = levels.entries.first(where: { $0.jsonKey == key }) else {
                        throw bad("\"partial\" names \"\(key)\", not one of the levels swept")
                    }
                    guard let samples = item.object?["samples"]?.number, samples >= 0, samples < 1e15,
                          samples == samples.rounded(), let boundItem = item.object?["bound"] else {
                        throw bad("\"partial\".\"\(key)\" must hold a sample count and a bound")
                    }
                    // An infinite bound (SQNR) is written as null.
                    guard let bound = boundItem.isNull ? Double.infinity : boundItem.number else {
                        throw bad("\"partial\".\"\(key)\".\"bound\" must be a number")
                    }
                    layer.partial[level] = Partial(samples: Int(samples), bound: bound)
                }
            }
            if let settled = entry["margin_settled"] {
                // Absent from reports written before passes stopped on margins.
                guard let stopped = settled.object else { throw bad("\"margin_settled\" must be an object") }
                for (key, item) in stopped {
                    guard let level = levels.entries.first(where: { $0.jsonKey == key }) else {
                        throw bad("\"margin_settled\" names \"\(key)\", not one of the levels swept")
                    }
                    guard let samples = item.number, samples >= 0, samples < 1e15, samples == samples.rounded() else {
                        throw bad("\"margin_settled\".\"\(key)\" must be a sample count")
                    }
                    layer.settledByMargin[level] = Int(samples)
                }
            }
            layer.score = entry["score"]?.number
            layers.append(layer)
        }
        return SensitivityReport(baseline: baseline, layers: layers)
    }

    public static func read(path: String) throws -> SensitivityReport {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LatheError.badInput(file: path, "cannot be read: \(error.localizedDescription)")
        }
        return try parse(data, path: path)
    }

    /// Combines shard results of the same model, data and method into one
    /// report in graph order. Files must agree on model, data and method hashes.
    public static func merge(_ reports: [(path: String, report: SensitivityReport)]) throws -> SensitivityReport {
        guard let first = reports.first else { throw LatheError.badInput("--merge needs at least one report file") }
        let reference = first.report.baseline
        var byName: [String: Layer] = [:]
        var order = reference.layerOrder
        for (path, report) in reports {
            let b = report.baseline
            guard b.modelHash == reference.modelHash else {
                throw LatheError.badInput(file: path, "is for a different model than \(first.path)")
            }
            guard b.dataHash == reference.dataHash else {
                throw LatheError.badInput(file: path, "was computed on different data than \(first.path)")
            }
            guard b.method == reference.method, b.levels == reference.levels else {
                throw LatheError.badInput(file: path, "used different levels or settings than \(first.path)")
            }
            for name in b.layerOrder where !order.contains(name) { order.append(name) }
            for layer in report.layers {
                if var existing = byName[layer.name] {
                    existing.fill(from: layer)
                    byName[layer.name] = existing
                } else {
                    byName[layer.name] = layer
                    if !order.contains(layer.name) { order.append(layer.name) }
                }
            }
        }
        var baseline = reference
        baseline.shard = nil
        baseline.layerOrder = order
        var merged = SensitivityReport(baseline: baseline, layers: order.compactMap { byName[$0] })
        merged.updateScores()
        return merged
    }
}
