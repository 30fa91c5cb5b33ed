/// A layer key of a plan or configuration file: an exact weight tensor name or
/// a shell-style glob (`*`, `?`, `[abc]`, `[a-z]`, `[!abc]`). A key that is the
/// exact name of a layer is that layer even when it contains glob characters.
public struct LayerPattern: Sendable, Hashable {
    public let text: String

    public init(_ text: String) { self.text = text }

    /// Whether the key uses glob syntax at all.
    public var isGlob: Bool { text.contains { $0 == "*" || $0 == "?" || $0 == "[" } }

    public func matches(_ name: String) -> Bool {
        if name == text { return true }
        guard isGlob else { return false }
        return LayerPattern.glob(Array(text.unicodeScalars), Array(name.unicodeScalars))
    }

    /// Iterative glob matching with backtracking to the last `*` (linear for
    /// patterns with one star, never exponential).
    private static func glob(_ pattern: [Unicode.Scalar], _ name: [Unicode.Scalar]) -> Bool {
        var p = 0, n = 0
        var starP = -1, starN = 0
        while n < name.count {
            if p < pattern.count {
                switch pattern[p] {
                case "*":
                    starP = p
                    starN = n
                    p += 1
                    continue
                case "?":
                    p += 1
                    n += 1
                    continue
                case "[":
                    if let (matched, next) = matchClass(pattern, from: p, name[n]) {
                        if matched {
                            p = next
                            n += 1
                            continue
                        }
                    } else if name[n] == "[" {  // an unclosed bracket is a literal
                        p += 1
                        n += 1
                        continue
                    }
                default:
                    if pattern[p] == name[n] {
                        p += 1
                        n += 1
                        continue
                    }
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starN += 1
            n = starN
        }
        while p < pattern.count && pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    /// Matches a bracket expression starting at `start`; nil when it is not closed.
    private static func matchClass(_ pattern: [Unicode.Scalar], from start: Int,
                                   _ scalar: Unicode.Scalar) -> (Bool, Int)? {
        var i = start + 1
        var negated = false
        if i < pattern.count && (pattern[i] == "!" || pattern[i] == "^") {
            negated = true
            i += 1
        }
        var matched = false
        var first = true
        while i < pattern.count && (first || pattern[i] != "]") {
            first = false
            let low = pattern[i]
            if i + 2 < pattern.count && pattern[i + 1] == "-" && pattern[i + 2] != "]" {
                if low.value <= scalar.value && scalar.value <= pattern[i + 2].value { matched = true }
                i += 3
            } else {
                if low == scalar { matched = true }
                i += 1
            }
        }
        guard i < pattern.count else { return nil }
        return (matched != negated, i + 1)
    }
}
