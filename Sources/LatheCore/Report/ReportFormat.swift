import Foundation

/// How the report writes numbers: the same units as `lathe eval` and `inspect` print (the CLI's
/// `TextFormatting` and the explorer's `Format` call `bytes` and `grouped` here).
public enum ReportFormat {
    /// 1234567 → "1.2 MB" (decimal units).
    public static func bytes(_ count: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }

    /// 1234567 → "1,234,567".
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    /// "64×3×3×3".
    public static func shape(_ dims: [Int]) -> String { dims.map(String.init).joined(separator: "×") }

    /// A metric value: "96.2%", "31.4 dB", "0.99871", "0.0123"; "-" when unknown.
    public static func metric(_ value: Double?, _ metric: ScoreMetric) -> String {
        guard let value else { return "-" }
        switch metric {
        case .top1, .agree:
            return value.isFinite ? String(format: "%.2f%%", value * 100) : "-"
        case .sqnr: return value.isFinite ? String(format: "%.1f dB", value) : (value > 0 ? "exact (∞ dB)" : "-∞ dB")
        case .cosine: return String(format: "%.5f", value)
        case .mse, .mae: return String(format: "%.4g", value)
        }
    }

    /// A drop (`ScoreMetric.degradation`) in the metric's own terms: "-1.2 pt", "noise +0.0012", "+3.4%".
    public static func drop(_ degradation: Double?, _ metric: ScoreMetric) -> String {
        guard let degradation else { return "-" }
        guard degradation.isFinite else { return degradation > 0 ? "∞" : "-∞" }
        switch metric.loss {
        case .points: return signed(-degradation * 100, digits: metric == .cosine ? 3 : 2) + " pt"
        case .decibels: return "noise " + String(format: "%+.3g", degradation)
        case .relative: return signed(degradation * 100, digits: 1) + "%"
        }
    }

    /// A short cell text for a heatmap drop (fits a narrow cell).
    public static func shortDrop(_ degradation: Double, _ metric: ScoreMetric) -> String {
        guard degradation.isFinite else { return degradation > 0 ? "∞" : "-∞" }
        switch metric.loss {
        case .points: return signed(-degradation * 100, digits: 1)
        case .decibels: return String(format: "%.2g", degradation)
        case .relative: return signed(degradation * 100, digits: 0) + "%"
        }
    }

    /// SQNR for a heatmap cell: "31.4", or "∞" when exact.
    public static func decibels(_ db: Double) -> String {
        db.isFinite ? String(format: "%.1f", db) : (db > 0 ? "∞" : "-∞")
    }

    /// A layer's settings as the configuration spells them ("bits 4, method gptq"), or "float" when unchanged.
    public static func settings(_ settings: LayerSettings) -> String {
        let pairs = ConfigWriter.settingValues(settings)
        guard !pairs.isEmpty else { return "float" }
        return pairs.map { "\($0.key) \($0.value.plain)" }.joined(separator: ", ")
    }

    /// "12.34×".
    public static func ratio(_ ratio: Double) -> String { String(format: "%.2f×", ratio) }

    /// A number for an SVG coordinate: at most two decimals, no trailing zeros (keeps the file small).
    public static func coordinate(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let rounded = (x * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// A number exactly as it round-trips (`Double.description`): machine-readable data attributes.
    public static func exact(_ value: Double) -> String {
        value.isFinite ? value.description : (value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf"))
    }

    private static func signed(_ value: Double, digits: Int) -> String {
        let text = String(format: "%+.\(digits)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? "+" + text.dropFirst() : text
    }
}

extension ReportFormat {
    /// A weight value for captions: four significant digits ("-0.4213", "1.2e-05").
    public static func exactShort(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        return String(format: "%.4g", value)
    }
}
