/// Text placed into HTML and SVG. Every name the report shows comes from a model
/// or a file someone else wrote (layer names can hold `<`, `&` and quotes), so
/// nothing reaches the document unescaped.
public enum HTMLEscaping {
    /// Escapes `&`, `<`, `>`, `"` and `'`: safe in element content and in quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // Control characters other than tab and newline are not allowed in HTML text.
            case _ where ch.value < 0x20 && ch != "\t" && ch != "\n": out += "\u{FFFD}"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
