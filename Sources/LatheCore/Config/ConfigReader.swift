import Foundation
import Yams

/// Reads configuration files (YAML, or the same schema as JSON, which YAML's flow
/// syntax parses with line numbers intact) into a validated `CompressionConfig`.
/// Every error is `LatheError.badInput` with a message `file:line: key: problem`.
public enum ConfigReader {
    static let topLevelKeys = ["version", "model", "defaults", "layers"]
    static let settingKeys = ["bits", "scheme", "granularity", "range", "percentile", "prune", "structure",
                              "clusters", "share_group", "rank", "abits", "grid", "method",
                              "bias_correction", "prune_method"]

    public static func read(path: String) throws -> CompressionConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw LatheError.badInput(file: path, exists ? "cannot read the file" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LatheError.badInput(file: path, "not a text file (UTF-8 expected)")
        }
        return try parse(text, path: path)
    }

    /// Whether a file is JSON: a `.json` name or a first non-blank character `{`.
    static func isJSON(_ text: String, path: String) -> Bool {
        path.lowercased().hasSuffix(".json") || text.first(where: { !$0.isWhitespace }) == "{"
    }

    /// Parses and validates `text`; `path` names the file in messages.
    public static func parse(_ text: String, path: String) throws -> CompressionConfig {
        let format = isJSON(text, path: path) ? "JSON" : "YAML"
        try YAMLLimits.check(text, file: path)
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, path: path, format: format)
        }
        guard let root else {
            throw LatheError.badInput(file: path, "empty file (expected 'version: 1' and settings)")
        }
        return try ConfigParser(path: path).parseDocument(root)
    }

    static func syntaxError(_ error: YamlError, path: String, format: String) -> LatheError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let while_ = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return LatheError.badInput(file: "\(path):\(mark.line)", "not valid \(format): \(problem)\(while_)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.sorted().joined(separator: ", ")
            return LatheError.badInput(file: "\(path):\(context.mark.line)",
                                       "\(keys): duplicate key in the mapping starting on this line")
        default:
            return LatheError.badInput(file: path, "not valid \(format): \(error)")
        }
    }
}

/// The schema walk over composed YAML nodes.
struct ConfigParser {
    let path: String

    func fail(_ node: Yams.Node?, _ key: String, _ problem: String) -> LatheError {
        let line = node?.mark?.line ?? 1
        return LatheError.badInput(file: "\(path):\(line)", "\(key): \(problem)")
    }

    func parseDocument(_ root: Yams.Node) throws -> CompressionConfig {
        guard let mapping = root.mapping else {
            throw fail(root, "top level", "expected a mapping with version, defaults and layers")
        }
        var config = CompressionConfig()
        var source = ConfigSource(path: path)
        var version: Int?
        var seen = Set<String>()
        for (keyNode, value) in mapping {
            let key = try keyString(keyNode)
            guard seen.insert(key).inserted else { throw fail(keyNode, key, "duplicate key") }
            switch key {
            case "version":
                guard let text = scalarText(value), let number = Int(text) else {
                    throw fail(value, key, "expected the number 1")
                }
                guard number == CompressionConfig.currentVersion else {
                    throw fail(value, key, "\(number) is not supported: this is version 1 of the format")
                }
                version = number
            case "model":
                guard let text = scalarText(value), !text.isEmpty else {
                    throw fail(value, key, "expected a model path or name")
                }
                config.model = text
            case "defaults":
                source.defaultsLine = keyNode.mark?.line ?? 1
                let (settings, lines) = try parseSettings(value, context: "defaults")
                config.defaults = settings
                source.defaultsKeyLines = lines
            case "layers":
                if isNull(value) { continue }
                guard let entries = value.mapping else {
                    throw fail(value, key, "expected a mapping from layer names or globs to settings")
                }
                var names = Set<String>()
                for (nameNode, settingsNode) in entries {
                    let name = try keyString(nameNode)
                    guard !name.isEmpty else { throw fail(nameNode, "layers", "empty layer name") }
                    guard names.insert(name).inserted else { throw fail(nameNode, name, "duplicate layer entry") }
                    let (settings, lines) = try parseSettings(settingsNode, context: name)
                    config.layers.append(LayerRule(name, settings))
                    source.ruleLines.append((nameNode.mark?.line ?? 1, lines))
                }
            default:
                throw fail(keyNode, key, "unknown key" + Suggestions.hint(for: key, validKeys: ConfigReader.topLevelKeys))
            }
        }
        guard version != nil else {
            throw fail(root, "version", "missing: a configuration file starts with 'version: 1'")
        }
        config.source = source
        return config
    }

    func keyString(_ node: Yams.Node) throws -> String {
        guard let text = scalarText(node) else { throw fail(node, "key", "expected a plain name") }
        return text
    }

    func scalarText(_ node: Yams.Node) -> String? {
        guard case .scalar(let scalar) = node else { return nil }
        return scalar.string
    }

    func isNull(_ node: Yams.Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// One settings mapping (`defaults` or a layer entry); null or `{}` means "leave as is".
    func parseSettings(_ node: Yams.Node, context: String) throws -> (LayerSettings, [String: Int]) {
        if isNull(node) { return (.identity, [:]) }
        guard let mapping = node.mapping else {
            throw fail(node, context, "expected a mapping of settings such as {bits: 8}")
        }
        var values: [String: (node: Yams.Node, text: String)] = [:]
        var lines: [String: Int] = [:]
        for (keyNode, value) in mapping {
            let key = try keyString(keyNode)
            guard ConfigReader.settingKeys.contains(key) else {
                throw fail(keyNode, key, "unknown key" + Suggestions.hint(for: key, validKeys: ConfigReader.settingKeys))
            }
            guard values[key] == nil else { throw fail(keyNode, key, "duplicate key") }
            guard let text = scalarText(value) else { throw fail(value, key, "expected a single value") }
            values[key] = (value, text)
            lines[key] = keyNode.mark?.line ?? value.mark?.line ?? 1
        }
        return (try SettingsParser(parser: self, values: values).settings(), lines)
    }
}

/// Values and cross-key rules of one settings mapping.
private struct SettingsParser {
    let parser: ConfigParser
    let values: [String: (node: Yams.Node, text: String)]

    func fail(_ key: String, _ problem: String) -> LatheError { parser.fail(values[key]?.node, key, problem) }

    func number(_ key: String) throws -> Double? {
        guard let text = values[key]?.text else { return nil }
        guard let value = Double(text), value.isFinite else { throw fail(key, "'\(text)' is not a number") }
        return value
    }

    func integer(_ key: String) throws -> Int? {
        guard let text = values[key]?.text else { return nil }
        guard let value = Int(text) else { throw fail(key, "'\(text)' is not a whole number") }
        return value
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws -> T?
        where T.RawValue == String {
        guard let text = values[key]?.text else { return nil }
        if let value = T(rawValue: text) { return value }
        let valid = T.allCases.map(\.rawValue)
        throw fail(key, "'\(text)' is not one of " + valid.joined(separator: ", ")
            + (Suggestions.nearest(to: text, in: valid, maxDistance: 3).map { " (did you mean '\($0)'?)" } ?? ""))
    }

    func settings() throws -> LayerSettings {
        var settings = LayerSettings()
        if let text = values["bits"]?.text {
            switch text.lowercased() {
            case "fp16": settings.bits = .fp16
            case "bf16": settings.bits = .bf16
            default:
                guard let bits = Int(text) else {
                    throw fail("bits", "'\(text)' is not a bit width: use 1–16, 32 (keep float), fp16 or bf16")
                }
                guard (1...16).contains(bits) || bits == 32 else {
                    throw fail("bits", "\(bits) is out of range: use 1–16, 32 (keep float), fp16 or bf16")
                }
                settings.bits = bits == 32 ? .float32 : .integer(bits)
            }
        }
        if let clusters = try integer("clusters") {
            guard (2...256).contains(clusters) else { throw fail("clusters", "\(clusters) is out of range: use 2–256") }
            if values["bits"] != nil {
                throw fail("clusters", "cannot be combined with bits: weight sharing stores ceil(log2 k)-bit "
                    + "codebook indices instead of uniform levels")
            }
            settings.clusters = clusters
        }
        let integerBits = settings.isUniformlyQuantized
        for key in ["scheme", "granularity", "range"] where values[key] != nil && !integerBits {
            throw fail(key, settings.isShared ? "has no effect with clusters (weight sharing)"
                : "has no effect without integer bits (1–16)")
        }
        if let scheme = try choice("scheme", QuantizationScheme.self) { settings.scheme = scheme }
        if let granularity = try choice("granularity", Granularity.self) { settings.granularity = granularity }
        if let range = try choice("range", RangeMethod.self) { settings.range = range }
        if let percentile = try number("percentile") {
            guard settings.range == .percentile else { throw fail("percentile", "needs range: percentile") }
            guard percentile > 0 && percentile <= 100 else {
                throw fail("percentile", "\(values["percentile"]?.text ?? "") is out of range: use 0 < percentile ≤ 100")
            }
            settings.percentile = percentile
        }

        let structure = try choice("structure", PruneStructure.self)
        if let prune = try number("prune") {
            guard prune >= 0 && prune < 1 else {
                throw fail("prune", "\(values["prune"]?.text ?? "") is out of range: use a ratio 0 ≤ prune < 1")
            }
            if structure == .twoFour && prune != 0.5 {
                throw fail("prune", "2:4 sparsity removes exactly half: omit prune or set it to 0.5")
            }
            settings.prune = prune
        } else if let structure, structure != .twoFour {
            throw fail("structure", "needs prune: P (the ratio 0 ≤ P < 1 to remove)")
        }
        if let structure { settings.structure = structure }
        if structure == .twoFour { settings.prune = 0.5 }

        if let group = values["share_group"]?.text {
            guard !group.isEmpty else { throw fail("share_group", "expected a group name") }
            guard settings.isShared else { throw fail("share_group", "needs clusters: K (the shared codebook size)") }
            settings.shareGroup = group
        }
        if let rank = try number("rank") {
            guard rank > 0 && rank <= 1 else {
                throw fail("rank", "\(values["rank"]?.text ?? "") is out of range: use a fraction 0 < rank ≤ 1")
            }
            settings.rank = rank
        }
        if let abits = try integer("abits") {
            guard (1...16).contains(abits) || abits == 32 else {
                throw fail("abits", "\(abits) is out of range: use 1–16, or 32 to keep float activations")
            }
            settings.activationBits = abits == 32 ? nil : abits
        }
        for key in ["grid", "method"] where values[key] != nil && !settings.isUniformlyQuantized {
            throw fail(key, settings.isShared ? "has no effect with clusters (weight sharing)"
                : "has no effect without integer bits (1–16)")
        }
        if let grid = try choice("grid", WeightGrid.self) { settings.grid = grid }
        if let method = try choice("method", RoundingMethod.self) { settings.method = method }
        if let pruneMethod = try choice("prune_method", PruneMethod.self) {
            guard settings.isPruned else { throw fail("prune_method", "needs prune: P or structure: 2:4") }
            settings.pruneMethod = pruneMethod
        }
        if let text = values["bias_correction"]?.text {
            switch text.lowercased() {
            case "true", "yes", "on": settings.biasCorrection = true
            case "false", "no", "off": settings.biasCorrection = false
            default: throw fail("bias_correction", "'\(text)' is not true or false")
            }
            if settings.biasCorrection && !settings.changesWeights {
                throw fail("bias_correction", "has no effect when the weights are not compressed")
            }
        }
        if let conflict = settings.conflict { throw fail(conflict.key, conflict.message) }
        return settings.canonical
    }
}
