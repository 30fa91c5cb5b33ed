import Foundation

/// Sums from which every metric of a plan follows, for some batches of the
/// data. They add up, so a plan's numbers stream batch by batch and a tally
/// resumes after an interruption; `ScoreTally` adds them in batch order, so
/// the final value does not depend on which thread finished first.
public struct ScoreTotals: Sendable, Equatable {
    public var samples = 0
    /// Scored positions (argmax metrics), those whose argmax equals the label,
    /// the same for the uncompressed model, and those equal to the uncompressed model's.
    public var positions = 0
    public var labelHits = 0
    public var baselineLabelHits = 0
    public var agreements = 0
    /// Against the uncompressed output: Σref², Σ(out−ref)², Σout·ref, Σout².
    public var referenceEnergy = 0.0
    public var errorEnergy = 0.0
    public var crossProduct = 0.0
    public var outputEnergy = 0.0
    /// The largest change of any output value from the uncompressed output (+∞ when one is NaN and the other
    /// not): how far any prediction could have moved (`MarginStop`). Totals combine it by maximum.
    public var largestChange = 0.0
    /// Against float labels: elements, Σ(out−y)², Σ|out−y|, and the uncompressed model's.
    public var labelElements = 0
    public var squaredError = 0.0
    public var absoluteError = 0.0
    public var baselineSquaredError = 0.0
    public var baselineAbsoluteError = 0.0

    public init() {}

    public static func + (a: ScoreTotals, b: ScoreTotals) -> ScoreTotals {
        var sum = a
        sum.samples += b.samples
        sum.positions += b.positions
        sum.labelHits += b.labelHits
        sum.baselineLabelHits += b.baselineLabelHits
        sum.agreements += b.agreements
        sum.referenceEnergy += b.referenceEnergy
        sum.errorEnergy += b.errorEnergy
        sum.crossProduct += b.crossProduct
        sum.outputEnergy += b.outputEnergy
        sum.largestChange = max(a.largestChange, b.largestChange)
        sum.labelElements += b.labelElements
        sum.squaredError += b.squaredError
        sum.absoluteError += b.absoluteError
        sum.baselineSquaredError += b.baselineSquaredError
        sum.baselineAbsoluteError += b.baselineAbsoluteError
        return sum
    }

    /// SQNR in dB against the uncompressed output (+∞ when identical).
    public var sqnrDB: Double {
        guard errorEnergy > 0 else { return .infinity }
        guard referenceEnergy > 0 else { return -.infinity }
        return 10 * log10(referenceEnergy / errorEnergy)
    }

    /// Cosine similarity with the uncompressed output (1 when both are zero, 0 when one is).
    public var cosine: Double {
        let norms = (outputEnergy * referenceEnergy).squareRoot()
        if norms > 0 { return crossProduct / norms }
        return outputEnergy == referenceEnergy ? 1 : 0
    }

    /// The plan's value of `metric` over these samples (nil before any).
    public func value(of metric: ScoreMetric) -> Double? {
        guard samples > 0 else { return nil }
        switch metric {
        case .top1: return positions > 0 ? Double(labelHits) / Double(positions) : nil
        case .agree: return positions > 0 ? Double(agreements) / Double(positions) : nil
        case .sqnr: return sqnrDB
        case .cosine: return cosine
        case .mse: return labelElements > 0 ? squaredError / Double(labelElements) : nil
        case .mae: return labelElements > 0 ? absoluteError / Double(labelElements) : nil
        }
    }

    /// The uncompressed model's value of `metric` on the same samples.
    public func baselineValue(of metric: ScoreMetric) -> Double? {
        guard samples > 0 else { return nil }
        switch metric {
        case .top1: return positions > 0 ? Double(baselineLabelHits) / Double(positions) : nil
        case .agree, .cosine: return 1
        case .sqnr: return .infinity
        case .mse: return labelElements > 0 ? baselineSquaredError / Double(labelElements) : nil
        case .mae: return labelElements > 0 ? baselineAbsoluteError / Double(labelElements) : nil
        }
    }

    /// 95% Wilson interval of a proportion metric (nil for the others).
    public func interval(of metric: ScoreMetric) -> ClosedRange<Double>? {
        guard positions > 0 else { return nil }
        switch metric {
        case .top1: return Metrics.wilsonInterval(successes: labelHits, total: positions)
        case .agree: return Metrics.wilsonInterval(successes: agreements, total: positions)
        default: return nil
        }
    }
}
