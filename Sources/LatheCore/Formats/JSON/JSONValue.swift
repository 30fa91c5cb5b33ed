import Foundation

/// Lathe's one JSON writer: a document whose object keys stay in the order
/// they were given, so every file and `--json` output has a stable shape that
/// diffs and scripts can rely on. Non-finite numbers, which JSON cannot
/// represent, are written as `null`. Read JSON back with `JSONDocument`.
public indirect enum JSONValue: Equatable, Sendable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered() == b.rendered() }

    public static func number(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }
    public static func number(_ value: Int?) -> JSONValue { value.map { .int($0) } ?? .null }

    /// Pretty-printed with two-space indentation; arrays of scalars stay on
    /// one line, and with `style.inlineScalarObjects` objects of scalars too.
    public func rendered(_ style: JSONStyle = .report) -> String {
        var out = ""
        write(to: &out, indent: 0, style: style)
        return out
    }

    private func write(to out: inout String, indent: Int, style: JSONStyle) {
        switch self {
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            if style.inlineScalarObjects && members.allSatisfy(\.1.isScalar) {
                out += "{"
                for (i, (key, value)) in members.enumerated() {
                    if i > 0 { out += ", " }
                    JSONValue.writeString(key, to: &out)
                    out += ": "
                    value.write(to: &out, indent: indent, style: style)
                }
                out += "}"
                return
            }
            let pad = String(repeating: "  ", count: indent + 1)
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                out += pad
                JSONValue.writeString(key, to: &out)
                out += ": "
                value.write(to: &out, indent: indent + 1, style: style)
                out += i + 1 < members.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: indent) + "}"
        case .array(let items):
            if items.allSatisfy(\.isScalar) {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += ", " }
                    item.write(to: &out, indent: indent, style: style)
                }
                out += "]"
                return
            }
            let pad = String(repeating: "  ", count: indent + 1)
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                item.write(to: &out, indent: indent + 1, style: style)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: indent) + "]"
        case .string(let s):
            JSONValue.writeString(s, to: &out)
        case .int(let v):
            out += String(v)
        case .double(let v):
            out += style.format(v)
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

/// How a `JSONValue` is laid out. The two styles differ on purpose and each
/// is a file format that must not drift: `lathe --json` has always written
/// doubles as doubles (`1.0`), Lathe's own files write integral values bare
/// (`1`, so bit-widths and counts read as integers) and keep small maps
/// (level → value, a layer's settings) on one line.
public struct JSONStyle: Sendable, Equatable {
    public enum Numbers: Sendable, Equatable {
        /// Swift's shortest round-trip form: 1.0, 0.1, 1e-05, 1.5e+20.
        case shortest
        /// As `shortest`, but integral values below 10^15 without a fraction: 1, 0.1.
        case integralBare
    }

    public var numbers: Numbers
    /// Objects whose members are all scalars on one line: `{"bits": 4, "prune": 0.5}`.
    public var inlineScalarObjects: Bool

    public init(numbers: Numbers, inlineScalarObjects: Bool) {
        self.numbers = numbers
        self.inlineScalarObjects = inlineScalarObjects
    }

    /// `lathe … --json` output.
    public static let report = JSONStyle(numbers: .shortest, inlineScalarObjects: false)
    /// Lathe's files: sensitivity reports (shards, cache) and JSON configurations.
    public static let file = JSONStyle(numbers: .integralBare, inlineScalarObjects: true)

    /// A double in this style; never `nan`/`inf` (null instead).
    func format(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        if numbers == .integralBare, v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return v.description
    }
}
