/// Where a plan's score settled under a `LossCutoff` or a `MarginStop`: the
/// shortest leading run of batches whose totals already decide it. Batches are
/// checked in order as the leading run grows, so the run found (and the value it
/// gives) is the same however the batches were spread over threads or paused.
struct SettledPrefix: Sendable {
    let cutoff: LossCutoff?
    let marginStop: MarginStop?
    let batchCount: Int
    private var checked = 0
    private var totals = ScoreTotals()
    /// Once batches `0..<n` settle it with batches left over (nil until then): under the cutoff, their tally;
    /// under the margin stop, theirs with every later batch scored as the uncompressed model scores it.
    private(set) var settled: ScoreTally?

    init(cutoff: LossCutoff?, marginStop: MarginStop? = nil, batchCount: Int) {
        self.cutoff = cutoff
        self.marginStop = marginStop
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
            let lost = cutoff?.isSettled(after: totals) ?? false
            let kept = !lost && (marginStop?.settles(after: totals, scored: checked) ?? false)
            if lost || kept {
                var prefix = ScoreTally(metric: tally.metric)
                for batch in 0..<checked {
                    if let score = tally.byBatch[batch] { prefix.add(score, batch: batch) }
                }
                if kept, let unchanged = marginStop?.unchanged, unchanged.count == batchCount {
                    for batch in checked..<batchCount { prefix.add(unchanged[batch], batch: batch) }
                    prefix.unchangedByMargin = prefix.samples - totals.samples
                }
                settled = prefix
                return
            }
        }
    }
}
