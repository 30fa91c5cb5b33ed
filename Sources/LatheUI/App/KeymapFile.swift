import Foundation
import LatheCore
import Yams

/// Key files: YAML mapping command names to a key or a list of keys, e.g.
///
/// ```yaml
/// # ~/.config/lathe/keys.yaml
/// more-bits: [Right, l, "+"]
/// fewer-bits: [Left, h, "-"]
/// quit: Q
/// ```
///
/// An entry replaces every default key of its command; a key taken from another
/// command leaves that command (the file wins). Command names are those of
/// `Command` (shown dimmed in the help overlay); key names as `KeyNames`.
public enum KeymapFile {
    /// Where the explorer looks when no `--keys` is given.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty { return config + "/lathe/keys.yaml" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.config/lathe/keys.yaml" }
        return nil
    }

    /// The standard keymap with the file's bindings applied.
    public static func load(path: String, base: Keymap = .standard) throws -> Keymap {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LatheError.badInput(file: path, "cannot read key file")
        }
        return try parse(text, file: path, base: base)
    }

    public static func parse(_ text: String, file: String, base: Keymap = .standard) throws -> Keymap {
        try YAMLLimits.check(text, file: file)
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw LatheError.badInput(file: file, "not valid YAML: \(error)")
        }
        guard let root else { return base }
        guard case .mapping(let mapping) = root else {
            throw LatheError.badInput(file: "\(file):1", "a key file maps command names to keys, e.g. `quit: Q`")
        }
        var keymap = base
        for (keyNode, valueNode) in mapping {
            let at = "\(file):\(keyNode.mark?.line ?? 1)"
            guard let name = keyNode.string, let command = Command(rawValue: name) else {
                let name = keyNode.string ?? "?"
                throw LatheError.badInput(file: at, "unknown command '\(name)'" + suggestion(for: name))
            }
            let texts: [String]
            switch valueNode {
            case .scalar(let scalar): texts = [scalar.string]
            case .sequence(let items):
                texts = try items.map { item in
                    guard case .scalar(let scalar) = item else {
                        throw LatheError.badInput(file: at, "'\(name)': each key must be a name such as q or Ctrl-R")
                    }
                    return scalar.string
                }
            default:
                throw LatheError.badInput(file: at, "'\(name)' needs a key or a list of keys")
            }
            let keys = try texts.map { text -> KeyPress in
                guard let key = KeyNames.parse(text) else {
                    throw LatheError.badInput(file: at, "'\(name)': unknown key '\(text)'; use a character or "
                        + "Up, Down, Left, Right, PgUp, PgDn, Home, End, Tab, Shift-Tab, Enter, Backspace, Esc, "
                        + "Space, F1–F12, with Ctrl-/Alt- prefixes")
                }
                return key
            }
            guard !keys.isEmpty else { throw LatheError.badInput(file: at, "'\(name)' needs at least one key") }
            keymap.rebind(command, to: keys)
        }
        return keymap
    }

    static func suggestion(for name: String) -> String {
        let names = Command.allCases.map(\.rawValue)
        let scored = names.map { ($0, editDistance(name.lowercased(), $0)) }
        if let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, name.count / 3) {
            return " (did you mean '\(best.0)'?)"
        }
        return "; commands: " + names.joined(separator: ", ")
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
