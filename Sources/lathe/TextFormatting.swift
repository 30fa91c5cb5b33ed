import Foundation
import LatheCore
import LatheUI

/// Plain-text rendering helpers for the human-readable output.
enum TextFormatting {
    /// Whether the user's locale encodes UTF-8 (otherwise output stays ASCII).
    static let localeIsUTF8: Bool = {
        setlocale(LC_CTYPE, "")
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(cString: codeset).uppercased()
        return name == "UTF-8" || name == "UTF8"
    }()

    /// Rows padded into columns; `rightAligned` columns (numbers) are padded on the left.
    static func table(_ rows: [[String]], rightAligned: Set<Int> = [], separator: String = "  ") -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            var line = ""
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                let isLast = i == row.count - 1
                if i > 0 { line += separator }
                line += rightAligned.contains(i) ? pad + cell : (isLast ? cell : cell + pad)
            }
            return line
        }.joined(separator: "\n")
    }

    /// A metric's value for text output: "96.2%", "31.4 dB", "0.99871", "0.0123"; "-" when unknown.
    static func metric(_ value: Double?, _ metric: ScoreMetric) -> String {
        guard let value else { return "-" }
        switch metric {
        case .top1, .agree: return percent(value)
        case .sqnr: return value.isFinite ? String(format: "%.1f dB", value) : (value > 0 ? "inf dB" : "-inf dB")
        case .cosine: return String(format: "%.5f", value)
        case .mse, .mae: return String(format: "%.4g", value)
        }
    }

    static func percent(_ fraction: Double?) -> String {
        guard let fraction, fraction.isFinite else { return "-" }
        return String(format: "%.1f%%", fraction * 100)
    }

    static func decimal(_ value: Double?, digits: Int = 4) -> String {
        guard let value else { return "-" }
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        return String(format: "%.\(digits)g", value)
    }

    /// 1234567 → "1.2 MB": the explorer's formatting, so CLI and UI show sizes alike.
    static func bytes(_ count: Int) -> String { Format.bytes(count) }

    /// 1234567 → "1,234,567".
    static func grouped(_ n: Int) -> String { ReportFormat.grouped(n) }

    static func shape(_ dims: [Int]) -> String {
        dims.map(String.init).joined(separator: localeIsUTF8 ? "×" : "x")
    }

    /// A tiny histogram: `counts` folded into at most `width` cells, each drawn as one
    /// of eight block heights (ASCII ramp outside UTF-8 locales); empty cells are blank.
    static func sparkline(_ counts: [Int], width: Int = 16, unicode: Bool = localeIsUTF8) -> String {
        guard !counts.isEmpty, width > 0 else { return "" }
        let cells = min(width, counts.count)
        var folded = [Int](repeating: 0, count: cells)
        for (i, c) in counts.enumerated() { folded[i * cells / counts.count] += c }
        let glyphs: [Character] = unicode ? Array("▁▂▃▄▅▆▇█") : Array(".:-=+*#@")
        let peak = folded.max() ?? 0
        return String(folded.map { c -> Character in
            guard c > 0, peak > 0 else { return " " }
            let level = Int((Double(c) / Double(peak) * Double(glyphs.count)).rounded(.up)) - 1
            return glyphs[min(glyphs.count - 1, max(0, level))]
        })
    }
}
