/// Where a plan's score settled under a `LossCutoff`: the shortest leading run
/// of batches whose totals already decide it. Batches are checked in order as
/// the leading run grows, so the run found (and the value it gives) is the same
/// however the batches were spread over threads or paused.
struct SettledPrefix: Sendable {
    let cutoff: LossCutoff
    let batchCount: Int
    private var checked = 0
    private var totals = ScoreTotals()
    /// The tally of batches `0..<n` once they settle it with batches left over (nil until then).
    private(set) var settled: ScoreTally?

    init(cutoff: LossCutoff, batchCount: Int) {
        self.cutoff = cutoff
        self.batchCount = batchCount
    }

    /// Extends the checked run with the batches `tally` holds next. `tally` may be an older snapshot than
    /// one already seen (threads report out of order): it then adds nothing, and the newest snapshot, which
    /// holds every batch scored before it, carries the run as far as it goes.
    mutating func advance(_ tally: ScoreTally) {
        guard settled == nil else { return }
        while checked < batchCount - 1, let next = tally.byBatch[checked] {
            totals = totals + next
            checked += 1
            if cutoff.isSettled(after: totals) {
                var prefix = ScoreTally(metric: tally.metric)
                for batch in 0..<checked {
                    if let score = tally.byBatch[batch] { prefix.add(score, batch: batch) }
                }
                settled = prefix
                return
            }
        }
    }
}
