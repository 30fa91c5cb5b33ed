import Foundation

/// The background engine behind the explorer: evaluates compression plans as
/// the user changes them, and runs sensitivity sweeps and searches as jobs.
///
/// - `apply(plan, tag:)` returns at once with a generation number. The plan's size
///   and BOPs are published immediately; its metric then streams batch by
///   batch (running value, 95% Wilson interval, samples done) and ends with a
///   final snapshot. Applying a newer plan stops older work at its next batch
///   boundary; at most one plan is evaluated at a time, so no work leaks.
/// - Final numbers are those of `PlanEvaluator` (the same as
///   `lathe eval --config`), whatever the cancellations and thread count.
/// - Snapshots go to a mailbox (newest wins): `latest()` reads it, `onUpdate`
///   receives it (on an engine thread, or the caller's for `apply`) after each
///   change. Every snapshot carries the `tag` its plan was applied with, so a
///   caller can tell its own requests apart without keeping generation numbers.
/// - Jobs (sweeps, searches) run when no plan is pending and pause at a batch
///   boundary whenever one is applied, so the UI's numbers always come first.
///
/// Generation 0 is the uncompressed model (untagged), evaluated at start: it
/// computes the baseline predictions and fills the activation cache.
///
/// Several evaluation sets (`EvaluationSet`) are evaluated one after the
/// other for each plan, each on its own evaluator, so each set's final number
/// is its `lathe eval` number; the snapshot carries them all (`sets`).
public final class LiveSession: Sendable {
    /// The first set's evaluator (layers, sizes and the weights every set shares).
    public let evaluator: PlanEvaluator
    public let sets: [EvaluationSet]
    let scorer: PlanScorer
    /// One per set, in order (`scorer` is the first).
    let scorers: [PlanScorer]
    private let mailbox: SnapshotMailbox
    private let control: LockedBox<Control>
    private let finals: LockedBox<[FinalScores]>
    private let queue = DispatchQueue(label: "lathe.live.runner", qos: .userInitiated)
    let jobResults = LockedBox(JobResults())

    struct Pending: Sendable {
        var generation: Int
        var plan: CompressionPlan
    }

    struct Job: Sendable {
        var id: Int
        var kind: JobProgress.Kind
        /// Receives one context per evaluation set, in order.
        var body: @Sendable ([JobContext]) throws -> Void
    }

    private struct Control {
        var generation = 0
        var pending: Pending?
        var queuedJob: Job?
        var runningJob: Int?
        var lastJobID = 0
        var cancelledJobs = Set<Int>()
        var runnerActive = false
        var closed = false
        /// Per set, once known.
        var baselineValues: [Double?]
    }

    private enum Work {
        case plan(Pending)
        case job(Job)
    }

    public convenience init(evaluator: PlanEvaluator, onUpdate: @escaping @Sendable (LiveSnapshot) -> Void = { _ in }) {
        self.init(sets: [EvaluationSet(evaluator: evaluator)], onUpdate: onUpdate)
    }

    /// A session over several evaluation sets of the same model, scored with the first set's metric.
    public init(sets: [EvaluationSet], onUpdate: @escaping @Sendable (LiveSnapshot) -> Void = { _ in }) {
        precondition(!sets.isEmpty, "a live session needs at least one evaluation set")
        self.sets = sets
        evaluator = sets[0].evaluator
        scorers = sets.map { PlanScorer(evaluator: $0.evaluator) }
        scorer = scorers[0]
        finals = LockedBox(sets.map { _ in FinalScores() })
        control = LockedBox(Control(baselineValues: sets.map { _ in nil }))
        let identity = CompressionPlan.identity(layers: evaluator.layers)
        mailbox = SnapshotMailbox(initial: Self.sizeSnapshot(identity, generation: 0, sets: sets,
                                                             metric: scorers[0].metric), onUpdate: onUpdate)
        enqueue(Pending(generation: 0, plan: identity))
    }

    public convenience init(session: InferenceSession, dataset: Dataset, options: EvaluatorOptions = EvaluatorOptions(),
                            onUpdate: @escaping @Sendable (LiveSnapshot) -> Void = { _ in }) throws {
        self.init(evaluator: try PlanEvaluator(session: session, dataset: dataset, options: options),
                  onUpdate: onUpdate)
    }

    deinit { close() }

    /// The metric this session reports (chosen by `Scoring`, or asked for).
    public var metric: ScoreMetric { scorer.metric }

    /// The newest snapshot.
    public func latest() -> LiveSnapshot { mailbox.latest() }

    /// The generation of the newest applied plan.
    public var generation: Int { control.withLock { $0.generation } }

    /// Starts evaluating `plan`; returns its generation at once. Its size is in
    /// `latest()` before this returns. Its snapshots carry `tag`.
    @discardableResult
    public func apply(_ plan: CompressionPlan, tag: Int? = nil) -> Int {
        let generation = control.withLock { control -> Int in
            control.generation += 1
            return control.generation
        }
        mailbox.replace(with: Self.sizeSnapshot(plan, generation: generation, tag: tag, sets: sets,
                                                metric: scorer.metric, baselineValues: knownBaselineValues))
        if (try? plan.validate(layers: evaluator.layers)) != nil {
            enqueue(Pending(generation: generation, plan: plan))
        }
        return generation
    }

    /// Stops all work at the next batch boundary; later calls are ignored.
    public func close() {
        control.withLock { control in
            control.closed = true
            control.generation += 1
            control.pending = nil
            control.queuedJob = nil
            if let running = control.runningJob { control.cancelledJobs.insert(running) }
        }
    }

    /// Whether no plan or job is being evaluated or waiting.
    public var isIdle: Bool {
        control.withLock { !$0.runnerActive && $0.pending == nil && $0.queuedJob == nil }
    }

    /// Blocks until idle (or until `timeout` seconds passed); returns whether idle.
    @discardableResult
    public func waitUntilIdle(timeout: Double = .infinity) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !isIdle {
            if Date() >= deadline { return false }
            usleep(1000)
        }
        return true
    }

    /// Batches being computed right now (0 when idle).
    public var runningBatches: Int { evaluator.runningBatches }

    // MARK: jobs

    /// Queues a job, cancelling the one running or queued; returns its id.
    func startJob(kind: JobProgress.Kind, body: @escaping @Sendable ([JobContext]) throws -> Void) -> Int {
        let id = control.withLock { control -> Int in
            control.lastJobID += 1
            if let running = control.runningJob { control.cancelledJobs.insert(running) }
            if let queued = control.queuedJob { control.cancelledJobs.insert(queued.id) }
            control.queuedJob = Job(id: control.lastJobID, kind: kind, body: body)
            return control.lastJobID
        }
        mailbox.modify { $0.job = JobProgress(id: id, kind: kind, phase: "queued", done: 0, total: 0) }
        startRunnerIfNeeded()
        return id
    }

    /// Cancels the running or queued job (it stops at its next batch boundary).
    public func cancelJob() {
        let cancelled = control.withLock { control -> (Int, Bool)? in
            if let queued = control.queuedJob {
                control.queuedJob = nil
                control.cancelledJobs.insert(queued.id)
                return (queued.id, true)
            }
            if let running = control.runningJob {
                control.cancelledJobs.insert(running)
                return (running, false)
            }
            return nil
        }
        if let (id, wasQueued) = cancelled, wasQueued {
            mailbox.modify { if $0.job?.id == id { $0.job?.state = .cancelled } }
        }
    }

    // MARK: the runner

    private func enqueue(_ pending: Pending) {
        let accepted = control.withLock { control -> Bool in
            guard !control.closed, control.generation == pending.generation else { return false }
            control.pending = pending
            return true
        }
        if accepted { startRunnerIfNeeded() }
    }

    private func startRunnerIfNeeded() {
        let start = control.withLock { control -> Bool in
            guard !control.runnerActive, control.pending != nil || control.queuedJob != nil else { return false }
            control.runnerActive = true
            return true
        }
        if start { queue.async { self.runLoop() } }
    }

    private func runLoop() {
        while let work = nextWork() {
            switch work {
            case .plan(let pending): evaluate(pending)
            case .job(let job): run(job)
            }
        }
    }

    private func nextWork() -> Work? {
        control.withLock { control in
            if let pending = control.pending {
                control.pending = nil
                return .plan(pending)
            }
            if let job = control.queuedJob {
                control.queuedJob = nil
                control.runningJob = job.id
                return .job(job)
            }
            control.runnerActive = false
            return nil
        }
    }

    private func takePending() -> Pending? {
        control.withLock { control in
            defer { control.pending = nil }
            return control.pending
        }
    }

    /// Evaluates one generation's plan on every set in turn, unless a newer one supersedes it.
    private func evaluate(_ pending: Pending) {
        let generation = pending.generation
        let control = self.control
        let isStale: @Sendable () -> Bool = { control.withLock { $0.generation != generation } }
        let mailbox = self.mailbox
        do {
            for (index, scorer) in scorers.enumerated() {
                let prepared = try scorer.evaluator.prepare(pending.plan)
                if isStale() { return }
                if let known = finals.withLock({ $0[index].lookup(prepared.outputSignature) }) {
                    mailbox.update(generation: generation) { $0.record(known, set: index, isFinal: true) }
                    continue
                }
                let tally = LockedBox(ScoreTally(metric: scorer.metric))
                let finished = try scorer.score(prepared, store: .checkpoints, tally: tally, shouldStop: isStale) { running in
                    mailbox.update(generation: generation) { $0.record(running, set: index, isFinal: false) }
                }
                guard finished else { return }
                let result = tally.withLock { $0 }
                finals.withLock { $0[index].store(result, for: prepared.outputSignature) }
                let baseline = updateBaselineValue(set: index)
                mailbox.update(generation: generation) { snapshot in
                    snapshot.record(result, set: index, isFinal: true)
                    snapshot.setBaseline(baseline, set: index)
                }
            }
        } catch {
            if isStale() { return }
            mailbox.update(generation: generation) { $0.error = Self.describe(error) }
        }
    }

    private func run(_ job: Job) {
        let contexts = jobContexts(job)
        let mailbox = self.mailbox
        let state: JobProgress.State
        do {
            try job.body(contexts)
            state = .finished
        } catch is CancellationError {
            state = .cancelled
        } catch {
            state = contexts[0].isCancelled() ? .cancelled : .failed(Self.describe(error))
        }
        control.withLock { control in
            control.runningJob = nil
            control.cancelledJobs.remove(job.id)
        }
        mailbox.modify { snapshot in
            guard var progress = snapshot.job, progress.id == job.id else { return }
            progress.state = state
            if state == .finished { progress.done = progress.total }
            snapshot.job = progress
        }
    }

    /// A job's view of the engine, one context per set: plan scores that pause for the user's plans.
    func jobContexts(_ job: Job) -> [JobContext] {
        scorers.map { jobContext(job, scorer: $0) }
    }

    private func jobContext(_ job: Job, scorer: PlanScorer) -> JobContext {
        let control = self.control
        let id = job.id
        let isCancelled: @Sendable () -> Bool = {
            control.withLock { $0.closed || $0.cancelledJobs.contains(id) }
        }
        let shouldPause: @Sendable () -> Bool = {
            control.withLock { $0.closed || $0.cancelledJobs.contains(id) || $0.pending != nil }
        }
        let mailbox = self.mailbox
        return JobContext(scorer: scorer, evaluation: { [weak self] scorer in
            { [weak self] plan, store, cutoff in
                let prepared = try scorer.evaluator.prepare(plan)
                let tally = LockedBox(ScoreTally(metric: scorer.metric))
                let prefix = scorer.settledPrefix(cutoff)
                while true {
                    if isCancelled() { throw CancellationError() }
                    if let result = try scorer.score(prepared, store: store, tally: tally, prefix: prefix,
                                                     shouldStop: shouldPause) {
                        return result
                    }
                    // Paused for a plan the user applied: evaluate it first, then resume.
                    while let pending = self?.takePending() { self?.evaluate(pending) }
                }
            }
        }, report: { phase, done, total in
            mailbox.modify { snapshot in
                guard (snapshot.job?.id ?? 0) <= id else { return }
                snapshot.job = JobProgress(id: id, kind: job.kind, phase: phase, done: done, total: total)
            }
        }, isCancelled: isCancelled)
    }

    // MARK: helpers

    private var knownBaselineValues: [Double?] { control.withLock { $0.baselineValues } }

    /// Set `index`'s baseline metric once every batch's baseline is known (remembered).
    private func updateBaselineValue(set index: Int) -> Double? {
        if let known = knownBaselineValues[index] { return known }
        guard let value = scorers[index].baselineValue else { return nil }
        control.withLock { $0.baselineValues[index] = value }
        mailbox.modify { $0.setBaseline(value, set: index) }
        return value
    }

    static func sizeSnapshot(_ plan: CompressionPlan, generation: Int, tag: Int? = nil, sets: [EvaluationSet],
                             metric: ScoreMetric, baselineValues: [Double?] = []) -> LiveSnapshot {
        var snapshot = sizeSnapshot(plan, generation: generation, tag: tag, evaluator: sets[0].evaluator, metric: metric,
                                    baselineValue: baselineValues.first ?? nil)
        snapshot.sets = sets.enumerated().map { index, set in
            SetScore(name: set.name, samplesTotal: set.evaluator.schedule.sampleCount,
                     baselineValue: baselineValues.indices.contains(index) ? baselineValues[index] : nil)
        }
        snapshot.samplesTotal = snapshot.sets.reduce(0) { $0 + $1.samplesTotal }
        return snapshot
    }

    private static func sizeSnapshot(_ plan: CompressionPlan, generation: Int, tag: Int?, evaluator: PlanEvaluator,
                                     metric: ScoreMetric, baselineValue: Double?) -> LiveSnapshot {
        let total = evaluator.schedule.sampleCount
        do {
            try plan.validate(layers: evaluator.layers)
        } catch {
            var snapshot = LiveSnapshot(generation: generation, tag: tag, sizeBytes: evaluator.baselineBytes,
                                        baselineBytes: evaluator.baselineBytes, bops: 0, metric: metric,
                                        samplesTotal: total)
            snapshot.error = describe(error)
            snapshot.baselineValue = baselineValue
            return snapshot
        }
        let report = evaluator.sizeReport(plan)
        var snapshot = LiveSnapshot(generation: generation, tag: tag, sizeBytes: report.totalBytes,
                                    baselineBytes: report.baselineBytes, bops: report.totalBOPs, size: report,
                                    metric: metric, samplesTotal: total)
        snapshot.baselineValue = baselineValue
        return snapshot
    }

    static func describe(_ error: Error) -> String {
        (error as? LatheError)?.message ?? "\(error)"
    }
}
