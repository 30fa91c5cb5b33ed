import Foundation
import LatheCore

/// The automatic search's budget as the user types it at the `a` prompt:
/// `1%` or `drop 0.5%` (largest drop of top-1, agreement or cosine; for mse
/// and mae the largest relative increase), `30dB` (smallest SQNR), `4x`
/// (compression ratio), `20KB`, `1.5MB` or `50000B` (largest size; decimal units).
extension SearchConstraint {
    /// Parses the prompt's text for a session scored by `metric`; an explanation when it is not a budget.
    public static func parse(_ input: String, metric: ScoreMetric = .top1) -> Result<SearchConstraint, BudgetError> {
        var text = input.trimmingCharacters(in: .whitespaces).lowercased()
        if text.hasPrefix("drop") { text = String(text.dropFirst(4)).trimmingCharacters(in: .whitespaces) }
        text = text.replacingOccurrences(of: " ", with: "")
        guard !text.isEmpty else { return .failure(BudgetError("type a budget, e.g. \(example(metric)) or 4x or 20KB")) }
        if text.hasSuffix("db") {
            guard metric == .sqnr else {
                return .failure(BudgetError("an SQNR budget needs the sqnr metric; this session scores \(metric.label)"))
            }
            guard let db = Double(text.dropLast(2)), db.isFinite else {
                return .failure(BudgetError("an SQNR budget is a number of dB, e.g. 30dB"))
            }
            return .success(.minSQNR(db))
        }
        if text.hasSuffix("%") {
            if metric == .sqnr {
                return .failure(BudgetError("this session scores SQNR: give the smallest SQNR, e.g. 30dB"))
            }
            guard let points = Double(text.dropLast()), points >= 0, points < 100 || metric.loss == .relative else {
                return .failure(BudgetError("a drop is a percentage from 0 to 100, e.g. 1%"))
            }
            return .success(metric.loss == .relative ? .maxIncrease(points / 100) : .maxDrop(points / 100))
        }
        if text.hasSuffix("x") || text.hasSuffix("×") {
            guard let ratio = Double(text.dropLast()), ratio >= 1, ratio.isFinite else {
                return .failure(BudgetError("a ratio is at least 1, e.g. 4x"))
            }
            return .success(.targetRatio(ratio))
        }
        let units: [(String, Double)] = [("gb", 1e9), ("mb", 1e6), ("kb", 1e3), ("b", 1)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let amount = Double(text.dropLast(suffix.count)), amount > 0, amount * scale < 1e15 else {
                return .failure(BudgetError("a size is a positive number of bytes, e.g. 20KB"))
            }
            return .success(.targetSize(Int((amount * scale).rounded(.down))))
        }
        let quality = metric == .sqnr ? "30dB (min SQNR)" : metric.loss == .relative ? "10% (max increase)" : "1% (max drop)"
        return .failure(BudgetError("'\(input)' is not a budget: write \(quality), 4x (ratio) or 20KB (size)"))
    }

    private static func example(_ metric: ScoreMetric) -> String { metric == .sqnr ? "30dB" : metric.loss == .relative ? "10%" : "1%" }

    /// As the explorer's messages spell it ("drop ≤ 1.0 pt", "ratio ≥ 4.0×").
    public var budgetText: String {
        switch self {
        case .maxDrop(let d): return "drop ≤ " + Format.points(d)
        case .minSQNR(let db): return "SQNR ≥ " + String(format: "%.1f dB", db)
        case .maxIncrease(let r): return "increase ≤ " + String(format: "%.1f%%", r * 100)
        case .targetRatio(let r): return "ratio ≥ " + Format.ratio(r)
        case .targetSize(let b): return "size ≤ " + Format.bytes(b)
        case .frontOnly: return "the Pareto front"
        }
    }
}

public struct BudgetError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
