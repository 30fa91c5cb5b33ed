import Foundation
import LatheCore

/// The automatic search's budget as the user types it at the `a` prompt:
/// `1%` or `drop 0.5%` (largest accuracy drop), `4x` (compression ratio),
/// `20KB`, `1.5MB` or `50000B` (largest size; decimal units).
extension SearchConstraint {
    /// Parses the prompt's text; an explanation when it is not a budget.
    public static func parse(_ input: String) -> Result<SearchConstraint, BudgetError> {
        var text = input.trimmingCharacters(in: .whitespaces).lowercased()
        if text.hasPrefix("drop") { text = String(text.dropFirst(4)).trimmingCharacters(in: .whitespaces) }
        text = text.replacingOccurrences(of: " ", with: "")
        guard !text.isEmpty else { return .failure(BudgetError("type a budget, e.g. 1% or 4x or 20KB")) }
        if text.hasSuffix("%") {
            guard let points = Double(text.dropLast()), points >= 0, points < 100 else {
                return .failure(BudgetError("a drop is a percentage from 0 to 100, e.g. 1%"))
            }
            return .success(.maxDrop(points / 100))
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
        return .failure(BudgetError("'\(input)' is not a budget: write 1% (max drop), 4x (ratio) or 20KB (size)"))
    }

    /// As the explorer's messages spell it ("drop ≤ 1.0 pt", "ratio ≥ 4.0×").
    public var budgetText: String {
        switch self {
        case .maxDrop(let d): return "drop ≤ " + Format.points(d)
        case .targetRatio(let r): return "ratio ≥ " + Format.ratio(r)
        case .targetSize(let b): return "size ≤ " + Format.bytes(b)
        }
    }
}

public struct BudgetError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
