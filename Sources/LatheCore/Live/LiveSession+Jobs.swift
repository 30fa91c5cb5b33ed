/// Sensitivity sweeps and searches as jobs of a live session: they run when no
/// plan is waiting, pause for the user's plans, report progress in the
/// snapshot's `job`, and leave their (partial) results here for the UI. With
/// several evaluation sets, they run on every set (`SensitivitySets`, and a
/// search that holds its budget on each).
extension LiveSession {
    /// Starts a sensitivity sweep (cancelling any other job); returns the job id.
    /// Partial results appear in `sensitivity()` and `sensitivitySets()` as layers complete.
    @discardableResult
    public func startSweep(_ request: SensitivityRequest) -> Int {
        let results = jobResults
        let sets = self.sets
        return startJob(kind: .sweep) { contexts in
            _ = try SensitivitySweep.run(request, sets: sets, contexts: contexts) { report in
                results.withLock { $0.sensitivity = report }
            }
        }
    }

    /// Starts an automatic search (cancelling any other job); returns the job id.
    /// Its sweep's results appear in `sensitivity()`, its answer in `searchOutcome()`.
    @discardableResult
    public func startSearch(_ request: SearchRequest) -> Int {
        let results = jobResults
        let sets = self.sets
        return startJob(kind: .search) { contexts in
            let outcome = try Search.run(request, sets: sets, contexts: contexts) { report in
                results.withLock { $0.sensitivity = report }
            }
            results.withLock { $0.search = outcome }
        }
    }

    /// The latest sweep results (partial while a sweep runs): with several sets, the worst over them.
    public func sensitivity() -> SensitivityReport? { jobResults.withLock { $0.sensitivity?.worst } }

    /// The latest sweep results per set.
    public func sensitivitySets() -> SensitivitySets? { jobResults.withLock { $0.sensitivity } }

    /// The last finished search's answer.
    public func searchOutcome() -> SearchOutcome? { jobResults.withLock { $0.search } }
}
