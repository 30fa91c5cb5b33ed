/// The README's "Supported ops" paragraph, rendered from the op table so the
/// documentation cannot drift from what the binary runs (`lathe ops` prints
/// it; a test compares it with README.md).
extension OpRegistry {
    /// "Supported ops (N, ONNX opsets A–B): Abs, Add, …, Xor." wrapped at `width` columns.
    public static func supportedOpsParagraph(width: Int = 80) -> String {
        let head = "Supported ops (\(supportedOps.count), ONNX opsets \(oldestOpset)–\(newestOpset)):"
        let words = [head] + supportedOps.enumerated().map { index, op in
            op + (index == supportedOps.count - 1 ? "." : ",")
        }
        var lines: [String] = []
        var line = ""
        for word in words {
            if line.isEmpty {
                line = word
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = word
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\n")
    }
}
