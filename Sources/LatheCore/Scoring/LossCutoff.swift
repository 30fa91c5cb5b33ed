import Foundation

/// When a plan's score can stop early: once the samples scored so far make it
/// certain that the whole set loses at least `loss` against `baseline`
/// (`ScoreMetric.degradation`'s units: 0.05 = five points of top-1, 5% more
/// error, or noise at 5% of the signal's power), whatever the samples not yet
/// scored hold. A sensitivity sweep uses it to drop the rest of a level that
/// has already failed by that much: more samples would only say by how much.
///
/// The bound is the best the whole set can still reach, every unscored sample
/// taken at its best: right (top-1, agreement), no error (mse, mae, SQNR), or
/// aligned with the uncompressed output (cosine).
public struct LossCutoff: Sendable, Equatable {
    public let metric: ScoreMetric
    public let loss: Double
    /// The value losses are measured from (the sweep's base plan).
    public let baseline: Double
    /// The whole set's totals from a complete pass: every plan reaches the same positions, label elements and
    /// reference energy once all its samples are scored.
    let whole: ScoreTotals

    init(metric: ScoreMetric, loss: Double, baseline: Double, whole: ScoreTotals) {
        self.metric = metric
        self.loss = loss
        self.baseline = baseline
        self.whole = whole
    }

    /// The best value of the metric on the whole set given the totals of the samples scored so far (nil when there
    /// is nothing to bound it with).
    func bestValue(after prefix: ScoreTotals) -> Double? {
        switch metric {
        case .top1, .agree:
            guard whole.positions > 0, prefix.positions <= whole.positions else { return nil }
            let hits = metric == .top1 ? prefix.labelHits : prefix.agreements
            return Double(hits + whole.positions - prefix.positions) / Double(whole.positions)
        case .mse, .mae:
            guard whole.labelElements > 0 else { return nil }
            let error = metric == .mse ? prefix.squaredError : prefix.absoluteError
            return error / Double(whole.labelElements)
        case .sqnr:
            guard whole.referenceEnergy > 0 else { return nil }
            guard prefix.errorEnergy > 0 else { return .infinity }
            return 10 * log10(whole.referenceEnergy / prefix.errorEnergy)
        case .cosine:
            // The rest of the output, x, is free: the cosine of (scored part, x) with the reference is largest for x
            // along the reference's rest, r, where it is √(C²/O + |r|²)/|ref| (C = scored part · reference, O = its
            // energy) when C > 0, and approaches |r|/|ref| otherwise.
            guard whole.referenceEnergy > 0 else { return nil }
            let rest = max(0, whole.referenceEnergy - prefix.referenceEnergy)
            let c = prefix.crossProduct, o = prefix.outputEnergy
            let reach = c > 0 && o > 0 ? (c * c / o + rest).squareRoot() : rest.squareRoot()
            return min(1, reach / whole.referenceEnergy.squareRoot())
        }
    }

    /// Whether the whole set is certain to lose at least `loss`, given the samples scored so far.
    func isSettled(after prefix: ScoreTotals) -> Bool {
        guard let best = bestValue(after: prefix) else { return false }
        return metric.degradation(baseline: baseline, value: best) >= loss
    }
}
