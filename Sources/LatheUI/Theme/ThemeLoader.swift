import Foundation
import LatheCore
import Yams

extension Theme {
    /// The themes shipped with Lathe (Resources/themes/NAME.yaml), in cycling order.
    public static let bundledNames = ["default", "light", "high-contrast", "mono"]

    /// A bundled theme (`default`, `light`, `high-contrast`, `mono`) by bare name, or a
    /// theme file by path (anything with a `/` or a .yaml/.yml extension).
    public static func load(nameOrPath: String) throws -> Theme {
        let looksLikePath = nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml")
        if !looksLikePath {
            guard bundledNames.contains(nameOrPath) else {
                throw LatheError.badInput("unknown theme '\(nameOrPath)'; bundled themes: "
                    + bundledNames.joined(separator: ", ") + " (or give the path of a .yaml theme file)")
            }
            return try parse(yaml: bundledYAML(nameOrPath), file: "themes/\(nameOrPath).yaml")
        }
        let text: String
        do {
            text = try String(contentsOfFile: nameOrPath, encoding: .utf8)
        } catch {
            throw LatheError.badInput(file: nameOrPath, "cannot read theme file")
        }
        return try parse(yaml: text, file: nameOrPath)
    }

    /// A bundled theme's text, from the target's resources (found from any directory).
    static func bundledYAML(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "yaml", subdirectory: "themes"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw LatheError.internalFailure("the bundled theme '\(name)' is missing from the LatheUI resources")
        }
        return text
    }

    /// The bundled default theme (which a test guarantees parses).
    public static var defaultTheme: Theme {
        (try? load(nameOrPath: "default")) ?? Theme.fallback
    }

    /// Reads a theme from YAML text; `file` names it in errors ("file:line: problem").
    public static func parse(yaml: String, file: String) throws -> Theme {
        try YAMLLimits.check(yaml, file: file)
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw LatheError.badInput(file: file, "not valid YAML: \(ThemeKeys.describe(error))")
        } catch {
            throw LatheError.badInput(file: file, "not valid YAML: \(error)")
        }
        guard let root, case .mapping(let mapping) = root else {
            throw LatheError.badInput(file: "\(file):1", "a theme is a mapping of keys such as fg, bg, accent, heat")
        }
        var colors: [String: ThemeColor] = [:]
        var heat: [ThemeColor]?
        var name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        for (keyNode, valueNode) in mapping {
            let line = keyNode.mark?.line ?? 1
            let at = "\(file):\(line)"
            guard let key = keyNode.string else { throw LatheError.badInput(file: at, "keys must be plain words") }
            guard ThemeKeys.all.contains(key) else {
                throw LatheError.badInput(file: at, "unknown key '\(key)'" + ThemeKeys.suggestion(for: key))
            }
            switch key {
            case "name":
                guard let text = valueNode.string, !text.isEmpty else {
                    throw LatheError.badInput(file: at, "'name' must be a non-empty string")
                }
                name = text
            case "heat":
                guard case .sequence(let items) = valueNode else {
                    throw LatheError.badInput(file: at, "'heat' must be a list of at least 5 colours, cool to hot")
                }
                heat = try items.map { try color($0, key: "heat", file: file) }
                guard let count = heat?.count, count >= 5 else {
                    throw LatheError.badInput(file: at, "'heat' needs at least 5 colours, found \(heat?.count ?? 0)")
                }
            default:
                colors[key] = try color(valueNode, key: key, file: file)
            }
        }
        let missing = ThemeKeys.colors.filter { colors[$0] == nil } + (heat == nil ? ["heat"] : [])
        guard missing.isEmpty, let heat else {
            throw LatheError.badInput(file: file, "missing key(s): " + missing.joined(separator: ", "))
        }
        func c(_ key: String) -> ThemeColor { colors[key] ?? .terminalDefault }
        return Theme(name: name, fg: c("fg"), bg: c("bg"), dim: c("dim"), accent: c("accent"),
                     selectionFG: c("selection_fg"), selectionBG: c("selection_bg"), good: c("good"),
                     warn: c("warn"), bad: c("bad"), border: c("border"), headerFG: c("header_fg"),
                     headerBG: c("header_bg"), heat: heat)
    }

    private static func color(_ node: Yams.Node, key: String, file: String) throws -> ThemeColor {
        let at = "\(file):\(node.mark?.line ?? 1)"
        guard case .scalar(let scalar) = node else {
            throw LatheError.badInput(file: at, "'\(key)' must be a colour (\"#rrggbb\", 0-255 or a name)")
        }
        if scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
            throw LatheError.badInput(file: at, "'\(key)' has no colour; write \"#rrggbb\" in quotes "
                + "(an unquoted # starts a YAML comment)")
        }
        guard let parsed = ThemeColor(parsing: scalar.string) else {
            throw LatheError.badInput(file: at, "'\(key)': bad colour '\(scalar.string)'; use \"#rrggbb\", "
                + "a palette index 0-255, default, or one of " + ThemeColor.names.joined(separator: ", "))
        }
        return parsed
    }

    /// Used only if the bundled default failed to parse, which a test rules out.
    static let fallback = Theme(
        name: "fallback", fg: .terminalDefault, bg: .terminalDefault, dim: .terminalDefault,
        accent: .terminalDefault, selectionFG: .terminalDefault, selectionBG: .terminalDefault,
        good: .terminalDefault, warn: .terminalDefault, bad: .terminalDefault, border: .terminalDefault,
        headerFG: .terminalDefault, headerBG: .terminalDefault, heat: Array(repeating: .terminalDefault, count: 5))
}

/// The keys a theme file may contain.
enum ThemeKeys {
    static let colors = ["fg", "bg", "dim", "accent", "selection_fg", "selection_bg", "good", "warn", "bad",
                         "border", "header_fg", "header_bg"]
    static let all = Set(colors + ["heat", "name"])

    /// " (did you mean 'x'?)" for the closest key within a small edit distance.
    static func suggestion(for key: String) -> String {
        let candidates = (colors + ["heat", "name"]).map { ($0, editDistance(key.lowercased(), $0)) }
        guard let best = candidates.min(by: { $0.1 < $1.1 }), best.1 <= max(2, key.count / 3) else {
            return "; valid keys: " + (colors + ["heat", "name"]).joined(separator: ", ")
        }
        return " (did you mean '\(best.0)'?)"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _): return "line \(mark.line): \(problem)"
        case .parser(_, let problem, let mark, _): return "line \(mark.line): \(problem)"
        case .composer(_, let problem, let mark, _): return "line \(mark.line): \(problem)"
        default: return "\(error)"
        }
    }
}
