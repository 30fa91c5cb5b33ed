import Foundation
import LatheCore

/// How numbers read on screen and in exported comments. Formatting only: every
/// value comes from LatheCore.
public enum Format {
    /// 1234567 → "1.2 MB" (decimal units, like `lathe eval`).
    public static func bytes(_ count: Int) -> String { ReportFormat.bytes(count) }

    /// 0.9615 → "96.2%" (one decimal, as the status bar shows it).
    public static func percent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "-" }
        return String(format: "%.1f%%", fraction * 100)
    }

    /// A change of a fraction in percentage points with its sign: -0.004 → "-0.4", 0 → "+0.0".
    public static func signedPoints(_ change: Double) -> String {
        guard change.isFinite else { return "-" }
        let text = String(format: "%+.1f", change * 100)
        return text == "-0.0" ? "+0.0" : text
    }

    /// A metric's value: "96.2%" (top-1, agreement), "31.4 dB", "0.99871" (cosine), "0.0123" (mse, mae).
    public static func metric(_ value: Double, _ metric: ScoreMetric) -> String {
        switch metric {
        case .top1, .agree: return percent(value)
        case .sqnr:
            if value == .infinity { return "∞ dB" }
            return value.isFinite ? String(format: "%.1f dB", value) : "-"
        case .cosine: return value.isFinite ? String(format: "%.5f", value) : "-"
        case .mse, .mae: return number(value)
        }
    }

    /// A change against the baseline on the metric's scale (`EngineStatus.change`):
    /// points for top-1, agreement and cosine ("-1.2"), relative for mse and mae ("+12.0%").
    public static func metricChange(_ change: Double, _ metric: ScoreMetric) -> String {
        switch metric.loss {
        case .points, .decibels: return signedPoints(change)
        case .relative:
            guard change.isFinite else { return "-" }
            let text = String(format: "%+.1f%%", change * 100)
            return text == "-0.0%" ? "+0.0%" : text
        }
    }

    /// 0.012 → "1.2 pt" (an unsigned amount of percentage points).
    public static func points(_ fraction: Double) -> String { String(format: "%.1f pt", fraction * 100) }

    /// 3.94 → "3.9×" (ASCII "x" without Unicode).
    public static func ratio(_ r: Double, unicode: Bool = true) -> String {
        guard r.isFinite else { return "-" }
        return String(format: "%.1f", r) + (unicode ? "×" : "x")
    }

    /// 15482 → "15.5k", 512 → "512".
    public static func count(_ n: Int) -> String {
        if n < 10_000 { return String(n) }
        if n < 1_000_000 { return String(format: "%.1fk", Double(n) / 1e3) }
        return String(format: "%.1fM", Double(n) / 1e6)
    }

    /// [32, 16, 1, 1] → "32×16×1×1".
    public static func shape(_ shape: [Int], unicode: Bool = true) -> String {
        shape.map(String.init).joined(separator: unicode ? "×" : "x")
    }

    /// A number short enough for a stats line: 4 significant digits.
    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        if v == 0 { return "0" }
        let magnitude = abs(v)
        if magnitude >= 1e4 || magnitude < 1e-3 { return String(format: "%.2e", v) }
        return String(format: "%.4g", v)
    }

    /// Three significant digits, for the statistics line.
    public static func short(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        if v == 0 { return "0" }
        let magnitude = abs(v)
        if magnitude >= 1e4 || magnitude < 1e-3 { return String(format: "%.2e", v) }
        return String(format: "%.3g", v)
    }

    /// The weight format alone: "fp32", "fp16", "bf16", "int8", or "k16" for sharing.
    public static func bits(_ s: LayerSettings) -> String {
        if let k = s.clusters { return "k\(k)" }
        switch s.bits {
        case .float32: return "fp32"
        case .fp16: return "fp16"
        case .bf16: return "bf16"
        case .integer(let b): return "int\(b)"
        }
    }

    /// Pruning: "-" when off, "30%" unstructured, "30% ch" per channel, "2:4".
    public static func prune(_ s: LayerSettings) -> String {
        switch s.structure {
        case .twoFour: return "2:4"
        case .channel: return "\(Int((s.prune * 100).rounded()))% ch"
        case .unstructured: return s.prune > 0 ? "\(Int((s.prune * 100).rounded()))%" : "-"
        }
    }

    /// The table's settings summary: only what differs from plain float, e.g.
    /// "int4 asym tensor 50% ch a8", "k16 30%", "fp32".
    public static func settings(_ s: LayerSettings) -> String {
        var parts = [bits(s)]
        if s.isUniformlyQuantized {
            if s.scheme == .asymmetric { parts.append("asym") }
            if s.granularity == .perTensor { parts.append("tensor") }
            if s.range != .minmax { parts.append(s.range == .percentile ? "p\(number(s.percentile))" : "mse") }
            if s.grid != .uniform { parts.append(s.grid.rawValue) }
            if s.method == .gptq { parts.append("gptq") }
        }
        let p = prune(s)
        if p != "-" { parts.append(s.usesSparseGPT ? p + " sgpt" : p) }
        if s.biasCorrection && s.changesWeights { parts.append("+bc") }
        if s.isLowRank, let r = s.rank { parts.append("r" + number(r)) }
        if let group = s.shareGroup, s.isShared { parts.append("@" + group) }
        if let a = s.activationBits { parts.append("a\(a)") }
        return parts.joined(separator: " ")
    }

    /// The table's settings cell for a layer the file may store as integers: unchanged, it is
    /// deployed as stored ("int8 stored"), not as float32.
    public static func settings(_ s: LayerSettings, stored: StoredQuantization?) -> String {
        guard let stored, s.isIdentity else { return settings(s) }
        return "\(stored.dtype.rawValue) stored"
    }

    /// The detail pane's settings for a layer the file may store as integers.
    public static func settingsLong(_ s: LayerSettings, stored: StoredQuantization?) -> String {
        guard let stored, s.isIdentity else { return settingsLong(s) }
        return "as stored: \(stored.summary)"
    }

    /// The settings spelled out for the detail pane.
    public static func settingsLong(_ s: LayerSettings) -> String {
        var parts: [String] = []
        if let k = s.clusters {
            parts.append("shared, \(k) clusters")
        } else {
            switch s.bits {
            case .float32: parts.append("float32")
            case .fp16: parts.append("fp16")
            case .bf16: parts.append("bf16")
            case .integer(let b):
                parts.append("\(b)-bit \(s.scheme.rawValue) \(s.granularity.rawValue)"
                             + (s.range == .minmax ? "" : " \(s.range.rawValue)")
                             + (s.grid == .uniform ? "" : " \(s.grid.rawValue) grid")
                             + (s.method == .gptq ? ", GPTQ" : ""))
            }
        }
        switch s.structure {
        case .twoFour: parts.append("2:4 sparse")
        case .channel: parts.append("prune \(Int((s.prune * 100).rounded()))% of channels")
        case .unstructured: if s.prune > 0 { parts.append("prune \(Int((s.prune * 100).rounded()))%") }
        }
        if s.usesSparseGPT { parts.append("SparseGPT mask") }
        if s.isLowRank, let r = s.rank { parts.append("rank \(number(r))") }
        if let a = s.activationBits { parts.append("activations \(a)-bit") }
        if s.biasCorrection && s.changesWeights { parts.append("bias corrected") }
        return parts.joined(separator: " · ")
    }
}
