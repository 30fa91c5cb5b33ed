import Foundation

/// A JSON document written with keys in the order they were given, so `lathe`'s
/// machine-readable output has a stable shape that diffs and scripts can rely on.
/// Non-finite numbers, which JSON cannot represent, are written as `null`.
indirect enum JSONValue: Equatable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null

    static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered() == b.rendered() }

    static func number(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }
    static func number(_ value: Int?) -> JSONValue { value.map { .int($0) } ?? .null }

    /// Pretty-printed with two-space indentation; arrays of scalars stay on one line.
    func rendered() -> String {
        var out = ""
        write(to: &out, indent: 0)
        return out
    }

    private func write(to out: inout String, indent: Int) {
        switch self {
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            let pad = String(repeating: "  ", count: indent + 1)
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                out += pad
                JSONValue.writeString(key, to: &out)
                out += ": "
                value.write(to: &out, indent: indent + 1)
                out += i + 1 < members.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: indent) + "}"
        case .array(let items):
            if items.allSatisfy(\.isScalar) {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += ", " }
                    item.write(to: &out, indent: indent)
                }
                out += "]"
                return
            }
            let pad = String(repeating: "  ", count: indent + 1)
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                item.write(to: &out, indent: indent + 1)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: indent) + "]"
        case .string(let s):
            JSONValue.writeString(s, to: &out)
        case .int(let v):
            out += String(v)
        case .double(let v):
            out += JSONValue.format(v)
        case .bool(let v):
            out += v ? "true" : "false"
        case .null:
            out += "null"
        }
    }

    private var isScalar: Bool {
        switch self {
        case .object, .array: return false
        default: return true
        }
    }

    /// Shortest representation that reads back to the same Double (Swift's
    /// `description`: 1.0, 0.1, 1e-05, 1.5e+20, all valid JSON and read back as
    /// floats by every parser); never `nan`/`inf`.
    static func format(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        return v.description
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
