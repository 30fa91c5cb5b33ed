import Foundation

/// The JSON form of a sensitivity report, used by `lathe sensitivity --json`,
/// by shard files for `--merge` and by the on-disk cache:
///
/// ```
/// {"baseline": {"metric": "top-1", "value": 0.96, "samples": 2000, "model": …, "model_hash": …,
///               "data": …, "data_hash": …, "method": …, "levels": {"bits": [2, 4, 8], "prune": [], "clusters": []},
///               "score": "…definition…", "layer_order": [...], "shard": "1/2"},
///  "layers": [{"name": "conv1.weight", "bits": {"2": 0.41, …}, "prune": {"0.5": …}, "clusters": {…},
///              "sqnr_db": {"2": 9.8, …}, "score": 0.55}]}
/// ```
/// Values are top-1 (or agreement without labels); an exact quantization's SQNR (+inf) is null.
extension SensitivityReport {
    public static let scoreDefinition = "mean over swept families of the metric drop at the most aggressive level "
        + "(data-free: 10^(-SQNR/10) at the fewest bits)"

    public func renderJSON() -> String {
        let writer = OrderedJSON()
        writer.object {
            writer.key("baseline")
            writer.object {
                writer.field("metric", baseline.metric.map { .string($0.rawValue) } ?? .null)
                writer.field("value", .number(baseline.value))
                writer.field("samples", .number(Double(baseline.samples)))
                writer.field("model", .string(baseline.model))
                writer.field("model_hash", .string(baseline.modelHash))
                writer.field("data", baseline.data.map { .string($0) } ?? .null)
                writer.field("data_hash", baseline.dataHash.map { .string($0) } ?? .null)
                writer.field("method", .string(baseline.method))
                writer.key("levels")
                writer.object {
                    writer.field("bits", .numbers(baseline.levels.bits.map(Double.init)))
                    writer.field("prune", .numbers(baseline.levels.prune))
                    writer.field("clusters", .numbers(baseline.levels.clusters.map(Double.init)))
                }
                writer.field("score", .string(Self.scoreDefinition))
                writer.field("layer_order", .strings(baseline.layerOrder))
                if let shard = baseline.shard { writer.field("shard", .string(shard)) }
            }
            writer.key("layers")
            writer.array(layers) { layer in
                writer.object {
                    writer.field("name", .string(layer.name))
                    writer.key("bits")
                    writer.map(layer.bits.sorted { $0.key < $1.key }.map { (String($0.key), $0.value) })
                    writer.key("prune")
                    writer.map(layer.prune.sorted { $0.key < $1.key }.map { (Self.key($0.key), $0.value) })
                    writer.key("clusters")
                    writer.map(layer.clusters.sorted { $0.key < $1.key }.map { (String($0.key), $0.value) })
                    writer.key("sqnr_db")
                    writer.map(layer.sqnrDB.sorted { $0.key < $1.key }.map { (String($0.key), $0.value) })
                    writer.field("score", .number(layer.score))
                }
            }
        }
        return writer.text + "\n"
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
        let metric: LiveMetric?
        if let name = base["metric"]?.string {
            guard let known = LiveMetric(rawValue: name) else { throw bad("unknown metric \"\(name)\"") }
            metric = known
        } else {
            metric = nil
        }
        let levelsObject = base["levels"]?.object
        let levels = SensitivityLevels(bits: try integers(numbers(levelsObject, "bits"), "bits"),
                                       prune: try numbers(levelsObject, "prune"),
                                       clusters: try integers(numbers(levelsObject, "clusters"), "clusters"))
        let samples = base["samples"]?.number ?? 0
        let baseline = Baseline(
            metric: metric, value: base["value"]?.number,
            samples: samples.isFinite && abs(samples) < 1e15 ? Int(samples) : 0,
            model: try string(base, "model"), modelHash: try string(base, "model_hash"),
            data: base["data"]?.string, dataHash: base["data_hash"]?.string,
            method: try string(base, "method"), levels: levels,
            layerOrder: base["layer_order"]?.array?.compactMap(\.string) ?? [], shard: base["shard"]?.string)

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
            for (level, value) in try levelMap(entry, "sqnr_db") {
                guard let b = Int(level) else { throw bad("sqnr_db level \"\(level)\" is not an integer") }
                layer.sqnrDB[b] = value
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

/// A minimal JSON writer that keeps keys in the order written (two-space indent,
/// scalar lists and level maps on one line).
final class OrderedJSON {
    enum Scalar {
        case string(String)
        case number(Double?)
        case numbers([Double])
        case strings([String])
        case null
    }

    private(set) var text = ""
    private var indent = 0
    private var needsComma = [false]

    func object(_ body: () -> Void) {
        text += "{"
        indent += 1
        needsComma.append(false)
        body()
        let hadFields = needsComma.removeLast()
        indent -= 1
        if hadFields { newline() }
        text += "}"
    }

    func array<T>(_ items: [T], _ body: (T) -> Void) {
        text += "["
        indent += 1
        for (index, item) in items.enumerated() {
            if index > 0 { text += "," }
            newline()
            body(item)
        }
        indent -= 1
        if !items.isEmpty { newline() }
        text += "]"
    }

    func key(_ name: String) {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
        newline()
        text += Self.quoted(name) + ": "
    }

    func field(_ name: String, _ value: Scalar) {
        key(name)
        text += Self.render(value)
    }

    /// An object of level → number on one line.
    func map(_ pairs: [(String, Double)]) {
        text += "{" + pairs.map { Self.quoted($0.0) + ": " + Self.number($0.1) }.joined(separator: ", ") + "}"
    }

    private func newline() { text += "\n" + String(repeating: "  ", count: indent) }

    static func render(_ value: Scalar) -> String {
        switch value {
        case .string(let s): return quoted(s)
        case .number(let v): return v.map(number) ?? "null"
        case .numbers(let list): return "[" + list.map(number).joined(separator: ", ") + "]"
        case .strings(let list): return "[" + list.map(quoted).joined(separator: ", ") + "]"
        case .null: return "null"
        }
    }

    /// Shortest round-trip form; integral values without a fraction; non-finite as null.
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return v.description
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
