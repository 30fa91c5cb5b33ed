import CYaml

/// Bounds on a YAML (or JSON) document, checked on libyaml's event stream before Yams composes
/// it. Yams builds, hashes (duplicate-key checks) and frees its node tree recursively, so a file
/// of ten thousand `[` overflows the stack (the explorer reads files on a thread with a 512 KB
/// one), and a few lines of nested aliases ("billion laughs") expand to more nodes than any
/// walk can visit. The event stream is flat: counting on it costs one pass and no recursion.
/// Configurations, key maps and themes are a few levels deep and a few hundred nodes.
public enum YAMLLimits {
    public static let maxDepth = 64
    /// Nodes of the document with every alias expanded.
    public static let maxExpandedNodes = 1_000_000

    /// Throws `LatheError.badInput` naming `file` (and the line) when `text` nests deeper than
    /// `maxDepth` or expands to more than `maxExpandedNodes`. Syntax errors are left to Yams, whose
    /// messages say more.
    public static func check(_ text: String, file: String) throws {
        if let (line, problem) = firstExcess(text) {
            throw LatheError.badInput(file: "\(file):\(line)", problem)
        }
    }

    /// The line and the problem of the first bound `text` exceeds, if any.
    static func firstExcess(_ text: String) -> (line: Int, problem: String)? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> (line: Int, problem: String)? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var walk = Walk()
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                let line = Int(event.start_mark.line) + 1
                let outcome = walk.step(event)
                yaml_event_delete(&event)
                switch outcome {
                case .more: continue
                case .done: return nil
                case .exceeded(let problem): return (line, problem)
                }
            }
            return nil
        }
    }

    /// Depth and expanded sizes along the event stream.
    struct Walk {
        enum Outcome { case more, done, exceeded(String) }

        /// Open collections: their anchor and expanded size so far.
        var open: [(anchor: String?, size: Int)] = []
        /// Expanded size of each anchored node seen.
        var anchors: [String: Int] = [:]
        var total = 0

        mutating func step(_ event: yaml_event_t) -> Outcome {
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return .done
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard open.count < YAMLLimits.maxDepth else {
                    return .exceeded("nested more than \(YAMLLimits.maxDepth) levels deep")
                }
                let anchor = event.type == YAML_SEQUENCE_START_EVENT
                    ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                open.append((name(anchor), 1))
                return .more
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let closed = open.popLast() else { return .more }
                if let anchor = closed.anchor { anchors[anchor] = closed.size }
                return add(closed.size)
            case YAML_SCALAR_EVENT:
                if let anchor = name(event.data.scalar.anchor) { anchors[anchor] = 1 }
                return add(1)
            case YAML_ALIAS_EVENT:
                return add(name(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1)
            default:
                return .more
            }
        }

        /// Counts a finished node of `size` expanded nodes into its parent (or the document).
        private mutating func add(_ size: Int) -> Outcome {
            let limit = YAMLLimits.maxExpandedNodes
            if open.isEmpty {
                total += size
            } else {
                open[open.count - 1].size += size
            }
            guard total <= limit, open.last.map({ $0.size <= limit }) ?? true else {
                return .exceeded("expands to more than \(limit) nodes (aliases of aliases?)")
            }
            return .more
        }

        private func name(_ anchor: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            anchor.map { String(cString: $0) }
        }
    }
}
