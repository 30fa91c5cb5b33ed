/// When a sensitivity entry's pass can stop because the samples it has not run
/// would keep their predictions: the sweep visits samples in ascending order of
/// their margin (the gap between the uncompressed model's two largest class
/// scores, `OutputScorer.margins`), and stops once every sample left has a
/// margin more than `factor` times twice the largest change the plan made to
/// any output value of the samples run. A prediction flips only when some value
/// moves by half the margin; the samples run are the least certain ones, and the
/// largest change on them bounds the changes seen on every sample in practice
/// (on the bundled samples, the largest change over all samples was at most 1.5×
/// that on the 64 least certain ones), so the samples left are counted as the
/// uncompressed model scores them: for argmax metrics (top-1, agreement) the
/// value is the one a full pass gives.
///
/// It is a judgement, not a bound: a sample left could in principle move more.
/// `lathe sensitivity --stop-at none` runs every sample, and the cross-checks
/// compare both on every sample model.
struct MarginStop: Sendable {
    /// The margin of the samples left over twice the largest change seen: 4 gives a factor of 2.7 over the
    /// largest ratio measured on the bundled samples.
    static let defaultFactor = 4.0

    let factor: Double
    /// Per batch, the smallest margin of its samples and every later batch's.
    let marginsFrom: [Double]
    /// Per batch, the uncompressed model's totals: what a plan scores on a batch whose predictions it keeps.
    let unchanged: [ScoreTotals]

    /// - Parameter batchMargins: each batch's smallest margin.
    init(factor: Double = defaultFactor, batchMargins: [Double], unchanged: [ScoreTotals]) {
        self.factor = factor
        var suffix = batchMargins
        for b in suffix.indices.reversed().dropFirst() { suffix[b] = min(suffix[b], suffix[b + 1]) }
        marginsFrom = suffix
        self.unchanged = unchanged
    }

    /// Whether batches `scored...` keep every prediction, given the totals of batches `0..<scored`.
    func settles(after totals: ScoreTotals, scored: Int) -> Bool {
        guard scored > 0, scored < marginsFrom.count else { return false }
        return 2 * factor * totals.largestChange < marginsFrom[scored]
    }

    /// The samples-ascending-by-margin order of a dataset (ties in `order`'s order): `margins` by dataset index.
    static func order(_ order: [Int], margins: [Double]) -> [Int] {
        order.enumerated().sorted { a, b in
            let ma = margins[a.element], mb = margins[b.element]
            return ma != mb ? ma < mb : a.offset < b.offset
        }.map(\.element)
    }
}
