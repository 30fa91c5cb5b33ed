import Foundation
import LatheCore

/// The seam between the explorer and LatheCore: runs the reducer's effects and
/// posts every result, the live engine's included, into the UI mailbox as an
/// `Action`. `perform` is called on the UI thread and returns at once (the live
/// session has its own queue; files and analyses go to background queues).
public final class EngineBridge: Sendable {
    /// The levels `s` sweeps (the heatmap's columns).
    public static let sweepLevels = SensitivityLevels(bits: [8, 6, 4, 3, 2], prune: [0.5], clusters: [16])

    /// What sweeps, searches and exports name: the files, their hashes, the results cache.
    public struct Source: Sendable {
        public var session: SessionInfo
        public var modelHash: String
        public var dataHash: String
        public var cache: SensitivityCache
        public init(session: SessionInfo, modelHash: String, dataHash: String,
                    cache: SensitivityCache = SensitivityCache()) {
            self.session = session
            self.modelHash = modelHash
            self.dataHash = dataHash
            self.cache = cache
        }
    }

    public let live: LiveSession
    private let mailbox: UIMailbox<Action>
    private let source: Source
    private let files = DispatchQueue(label: "lathe.explorer.files", qos: .userInitiated)
    private let analysis = DispatchQueue(label: "lathe.explorer.analysis", qos: .utility)

    /// Starts a live session on `evaluator`. It evaluates the uncompressed model at once,
    /// untagged: the explorer's numbers start with its first `.applyPlan`.
    public convenience init(evaluator: PlanEvaluator, mailbox: UIMailbox<Action>, source: Source) {
        self.init(sets: [EvaluationSet(evaluator: evaluator, dataHash: source.dataHash)], mailbox: mailbox,
                  source: source)
    }

    /// The same on several evaluation sets (the first one's evaluator gives layers and sizes).
    public init(sets: [EvaluationSet], mailbox: UIMailbox<Action>, source: Source) {
        let reports = SnapshotRelay(mailbox: mailbox, layers: sets.first?.evaluator.layers.map(\.name) ?? [],
                                    metricLabel: source.session.metricLabel)
        let live = LiveSession(sets: sets) { reports.receive($0) }
        reports.attach(live)
        self.live = live
        self.mailbox = mailbox
        self.source = source
    }

    deinit { live.close() }

    /// Before the process ends: cancels the engine's work, and waits for configuration files being
    /// written (quitting right after `e` still leaves the complete file behind).
    public func shutDown() {
        live.close()
        files.sync {}
    }

    public func perform(_ effect: Effect) {
        let mailbox = self.mailbox
        switch effect {
        case .applyPlan(let plan, let revision):
            live.apply(plan, tag: revision)
        case .startSweep:
            live.startSweep(SensitivityRequest(levels: Self.sweepLevels, model: source.session.modelPath,
                                               modelHash: source.modelHash, data: source.session.dataPath,
                                               dataHash: source.dataHash, cache: source.cache,
                                               stopLoss: SensitivityRequest.defaultStopLoss))
        case .startSearch(let constraint):
            let request = SearchRequest(constraint: constraint, model: source.session.modelPath,
                                        modelHash: source.modelHash, data: source.session.dataPath,
                                        dataHash: source.dataHash, cache: source.cache)
            do {
                try request.validate()
                live.startSearch(request)
            } catch {
                mailbox.post(.effectFailed("search: " + ((error as? LatheError)?.message ?? "\(error)")))
            }
        case .cancelJob:
            live.cancelJob()
        case .exportConfig(let path, let plan, let metrics):
            let session = source.session
            files.async { mailbox.post(ConfigFiles.export(path: path, plan: plan, metrics: metrics, session: session)) }
        case .exportModel(let path, let plan):
            let session = source.session
            let evaluator = live.evaluator
            let sets = live.sets
            files.async {
                mailbox.post(ConfigFiles.exportModel(path: path, plan: plan, evaluator: evaluator, session: session,
                                                     setName: sets.first?.name ?? "data",
                                                     moreSets: Array(sets.dropFirst())) {
                    mailbox.post($0)
                })
            }
        case .openConfig(let path):
            let layers = live.evaluator.layers
            files.async { mailbox.post(ConfigFiles.open(path: path, layers: layers)) }
        case .analyzeLayer(let name, let settings):
            let session = live.evaluator.session
            guard let weight = session.weights[name], let layer = session.layers.first(where: { $0.name == name })
            else { return }
            analysis.async {
                // A failed analysis still answers, so the UI stops waiting for it.
                let result = (try? LayerAnalyzer.analyze(weight: weight, layer: layer, settings: settings))
                    ?? LayerAnalysis(settings: settings)
                mailbox.post(.layerAnalysis(name: name, analysis: result))
            }
        case .quit:
            break
        }
    }

    /// The search's answer as the message line says it.
    public static func summary(_ outcome: SearchOutcome, metricLabel: String) -> String {
        "\(Format.ratio(outcome.compressionRatio)) (\(Format.bytes(outcome.sizeBytes))) at \(metricLabel) "
            + "\(Format.metric(outcome.value, outcome.metric)), fp32 \(Format.metric(outcome.baselineValue, outcome.metric)); "
            + (outcome.satisfied ? "budget met" : "budget NOT met") + " after \(outcome.evaluations) evaluations"
            + setsSummary(outcome)
    }

    /// "; clean 96.5%, shifted 82.5%" with several evaluation sets (the budget held on each).
    static func setsSummary(_ outcome: SearchOutcome) -> String {
        guard outcome.sets.count > 1 else { return "" }
        return "; " + outcome.sets.map { "\($0.name) \(Format.metric($0.value, outcome.metric))" }
            .joined(separator: ", ")
    }
}

/// Turns the live session's snapshots into actions, on whichever engine thread
/// announces them (one at a time, newest last): the status always, newest wins;
/// when the job moved, its sweep results and a finished search's answer.
private final class SnapshotRelay: @unchecked Sendable {
    // @unchecked: `live` and `lastJob` are guarded by `lock`; the rest is immutable.
    private let lock = NSLock()
    /// Weak: the session holds this relay through its `onUpdate`.
    private weak var live: LiveSession?
    private var lastJob: JobProgress?
    private let mailbox: UIMailbox<Action>
    private let layers: [String]
    private let metricLabel: String

    init(mailbox: UIMailbox<Action>, layers: [String], metricLabel: String) {
        self.mailbox = mailbox
        self.layers = layers
        self.metricLabel = metricLabel
    }

    func attach(_ live: LiveSession) {
        lock.withLock { self.live = live }
    }

    func receive(_ snapshot: LiveSnapshot) {
        if let status = EngineStatus(snapshot) { mailbox.post(.engine(status), slot: "engine") }
        let (live, jobMoved) = lock.withLock { () -> (LiveSession?, Bool) in
            defer { lastJob = snapshot.job }
            return (self.live, snapshot.job != nil && snapshot.job != lastJob)
        }
        guard jobMoved, let job = snapshot.job, let live else { return }
        if let sets = live.sensitivitySets() {
            mailbox.post(.sensitivity(SensitivityData(sets, layers: layers)), slot: "sensitivity")
        }
        if job.kind == .search, job.state == .finished, let outcome = live.searchOutcome() {
            mailbox.post(.searchFinished(plan: outcome.plan,
                                         summary: EngineBridge.summary(outcome, metricLabel: metricLabel),
                                         front: ParetoData(outcome)))
        }
    }
}
