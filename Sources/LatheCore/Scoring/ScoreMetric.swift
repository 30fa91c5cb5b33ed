import Foundation

/// The number a plan is judged by: in the status bar, sensitivity sweeps, the
/// search and `lathe eval`'s `metric` object. `Scoring.choose` picks one for a
/// model's output and labels (see there), or the user names it (`--metric`).
public enum ScoreMetric: String, Sendable, Equatable, Codable, CaseIterable {
    /// Argmax equals the integer label, at every position (a sample, a time step, a pixel).
    case top1
    /// Argmax equals the uncompressed model's argmax, at every position.
    case agree
    /// Signal-to-quantization-noise ratio of the output against the uncompressed
    /// model's, in dB: 10·log10(Σref² / Σ(out−ref)²); +∞ when identical.
    case sqnr
    /// Cosine similarity of the whole output with the uncompressed model's.
    case cosine
    /// Mean squared error against float labels shaped like the output.
    case mse
    /// Mean absolute error against float labels shaped like the output.
    case mae

    /// How the metric is written on screen and in text output.
    public var label: String {
        switch self {
        case .top1: return "top-1"
        case .agree: return "agree"
        case .sqnr: return "SQNR"
        case .cosine: return "cosine"
        case .mse: return "MSE"
        case .mae: return "MAE"
        }
    }

    /// The unit of a value: "fraction" (shown as a percentage), "dB", or "" (the output's own units).
    public var unit: String {
        switch self {
        case .top1, .agree: return "fraction"
        case .sqnr: return "dB"
        case .cosine, .mse, .mae: return ""
        }
    }

    public var higherIsBetter: Bool {
        switch self {
        case .top1, .agree, .sqnr, .cosine: return true
        case .mse, .mae: return false
        }
    }

    /// Whether the value is a proportion of positions (it has a binomial confidence interval).
    public var countsPositions: Bool { self == .top1 || self == .agree }

    /// Whether the metric compares with the labels `y` (the others compare with the uncompressed model).
    public var needsLabels: Bool { self == .top1 || self == .mse || self == .mae }

    /// How a plan's loss against the baseline is expressed.
    public enum Loss: Sendable, Equatable {
        /// baseline − value, a fraction (0.01 = one point): top-1, agreement, cosine.
        case points
        /// The SQNR itself in dB (the baseline is +∞); lower is worse.
        case decibels
        /// (value − baseline) / baseline: mse, mae.
        case relative
    }

    public var loss: Loss {
        switch self {
        case .top1, .agree, .cosine: return .points
        case .sqnr: return .decibels
        case .mse, .mae: return .relative
        }
    }

    /// How much worse `value` is than `baseline`, on one scale for every metric
    /// (0 = as good, larger = worse), so sensitivity scores and searches compare
    /// layers the same way whatever the metric: the drop in points, the relative
    /// increase of the error, and for SQNR the noise power relative to the
    /// signal, 10^(−dB/10), above the baseline's (0 for an exact baseline).
    public func degradation(baseline: Double, value: Double) -> Double {
        switch loss {
        case .points: return baseline - value
        case .decibels: return Self.noisePower(value) - Self.noisePower(baseline)
        case .relative:
            guard baseline > 0 else { return value > 0 ? .infinity : 0 }
            return (value - baseline) / baseline
        }
    }

    /// A loss on `degradation`'s scale in this metric's words: "5 points", "5% more error", "noise at 5% of the
    /// signal's power".
    public func describe(loss: Double) -> String {
        switch self.loss {
        case .points: return String(format: "%.3g points", loss * 100)
        case .relative: return String(format: "%.3g%% more error", loss * 100)
        case .decibels: return String(format: "noise at %.3g%% of the signal's power", loss * 100)
        }
    }

    /// Noise power relative to signal power for an SQNR in dB (0 at +∞).
    static func noisePower(_ decibels: Double) -> Double {
        decibels == .infinity ? 0 : pow(10, -decibels / 10)
    }

    /// The key naming this metric in `lathe search --out` and exported configurations' comments
    /// (and `lathe eval --json`'s legacy keys): top1, agreement, sqnr_db, cosine, mse, mae.
    public var reportKey: String {
        switch self {
        case .agree: return "agreement"
        case .sqnr: return "sqnr_db"
        default: return rawValue
        }
    }

    /// A value as written in those comments: fractions and cosine with fixed decimals, dB with two, errors with six significant digits.
    public func reportText(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        switch self {
        case .top1, .agree: return String(format: "%.4f", value)
        case .sqnr: return String(format: "%.2f", value)
        case .cosine: return String(format: "%.6f", value)
        case .mse, .mae: return String(format: "%.6g", value)
        }
    }

    /// Whether `a` is a better value than `b`.
    public func isBetter(_ a: Double, than b: Double) -> Bool { higherIsBetter ? a > b : a < b }
}
