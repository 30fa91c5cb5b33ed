import Foundation
import LatheCore
import LatheUI

/// Turns the explorer's effects into LatheCore calls and LatheCore's results into
/// actions. Lives on the UI thread: `perform` returns at once (the live session
/// works on its own queue; file and analysis work goes to background queues and
/// comes back through the mailbox), and `update` translates engine snapshots into
/// the plain `EngineStatus` the reducer knows.
final class ExplorerEffectRunner {
    /// The levels `s` sweeps (the heatmap's columns).
    static let sweepLevels = SensitivityLevels(bits: [8, 6, 4, 3, 2], prune: [0.5], clusters: [16])

    private let live: LiveSession
    private let mailbox: Mailbox<ExplorerMessage>
    private let session: SessionInfo
    private let weights: [String: Tensor]
    private let layers: [WeightLayer]
    private let modelHash: String
    private let dataHash: String
    private let files = DispatchQueue(label: "lathe.explorer.files", qos: .userInitiated)
    private let analysis = DispatchQueue(label: "lathe.explorer.analysis", qos: .utility)

    /// Which plan revision each engine generation evaluates.
    private var revisions: [Int: Int] = [:]
    private var appliedAny = false
    private var lastJob: JobProgress?
    private var lastReport: SensitivityReport?
    private var handledSearch: Int?

    init(live: LiveSession, mailbox: Mailbox<ExplorerMessage>, session: SessionInfo, weights: [String: Tensor],
         layers: [WeightLayer], modelHash: String, dataHash: String) {
        self.live = live
        self.mailbox = mailbox
        self.session = session
        self.weights = weights
        self.layers = layers
        self.modelHash = modelHash
        self.dataHash = dataHash
    }

    // MARK: events → reducer

    func update(_ state: inout AppState, _ event: LoopEvent<ExplorerMessage>) -> [Effect] {
        switch event {
        case .key(let key): return Explorer.update(&state, .key(key))
        case .mouse(let mouse): return Explorer.update(&state, .mouse(mouse))
        case .resize(let size): return Explorer.update(&state, .resize(size))
        case .tick: return Explorer.update(&state, .tick)
        case .message(.action(let action)): return Explorer.update(&state, action)
        case .message(.engineUpdated): return engineUpdated(&state)
        }
    }

    /// Reads the newest snapshot (and the job's results when it moved) into the state.
    private func engineUpdated(_ state: inout AppState) -> [Effect] {
        let snapshot = live.latest()
        var effects: [Effect] = []
        if let status = status(from: snapshot) { effects += Explorer.update(&state, .engine(status)) }
        if let job = snapshot.job, job != lastJob {
            if let report = live.sensitivity(), report != lastReport {
                lastReport = report
                effects += Explorer.update(&state, .sensitivity(Self.sensitivityData(report, layers: layers)))
            }
            if job.kind == .search, job.state == .finished, handledSearch != job.id, let outcome = live.searchOutcome() {
                handledSearch = job.id
                effects += Explorer.update(&state, .searchFinished(plan: outcome.plan, summary: summary(outcome)))
            }
            lastJob = job
        }
        return effects
    }

    /// The snapshot as the reducer's plain data; nil for a generation no revision asked for.
    func status(from snapshot: LiveSnapshot) -> EngineStatus? {
        guard let revision = revisions[snapshot.generation] else { return nil }
        var change: Double?
        var interval: ClosedRange<Double>?
        if let value = snapshot.value {
            // The baseline on the same samples: the change is then an early estimate of the final one.
            if let reference = snapshot.isFinal ? (snapshot.baselineValue ?? snapshot.baselineOnDone)
                                                : snapshot.baselineOnDone {
                change = value - reference
                if let i = snapshot.interval { interval = (i.lowerBound - reference)...(i.upperBound - reference) }
            }
        }
        var sizes: [String: TensorSize] = [:]
        for cost in snapshot.size?.layers ?? [] { sizes[cost.name] = cost.size }
        return EngineStatus(
            revision: revision, value: snapshot.value, change: change, changeInterval: interval,
            samplesDone: snapshot.samplesDone, samplesTotal: snapshot.samplesTotal, isFinal: snapshot.isFinal,
            baselineValue: snapshot.baselineValue, sizeBytes: snapshot.sizeBytes, baselineBytes: snapshot.baselineBytes,
            compressionRatio: snapshot.compressionRatio, layerSizes: sizes, error: snapshot.error,
            job: snapshot.job.map(Self.jobStatus))
    }

    static func jobStatus(_ job: JobProgress) -> JobStatus {
        let state: JobStatus.State
        switch job.state {
        case .running: state = .running
        case .finished: state = .finished
        case .cancelled: state = .cancelled
        case .failed(let reason): state = .failed(reason)
        }
        return JobStatus(id: job.id, kind: job.kind == .sweep ? .sweep : .search, phase: job.phase, done: job.done,
                         total: job.total, state: state)
    }

    /// LatheCore's sweep report as heatmap data: each level's metric and its change from the baseline.
    static func sensitivityData(_ report: SensitivityReport, layers: [WeightLayer]) -> SensitivityData {
        let levels = report.baseline.levels
        let columns: [LatheUI.SensitivityLevel] = levels.bits.map { .bits($0) } + levels.prune.map { .prune($0) }
            + levels.clusters.map { .clusters($0) }
        let baseline = report.baseline.value
        var result: [String: SensitivityData.Layer] = [:]
        for layer in report.layers {
            var cells: [LatheUI.SensitivityLevel: SensitivityData.Cell] = [:]
            func add(_ level: LatheUI.SensitivityLevel, _ value: Double?) {
                guard let value else { return }
                cells[level] = .init(value: value, change: value - (baseline ?? value))
            }
            for b in levels.bits { add(.bits(b), layer.bits[b]) }
            for p in levels.prune { add(.prune(p), layer.prune[p]) }
            for k in levels.clusters { add(.clusters(k), layer.clusters[k]) }
            result[layer.name] = .init(cells: cells, score: layer.score)
        }
        return SensitivityData(baseline: baseline, levels: columns, layers: result,
                               isComplete: report.isComplete(for: layers.map(\.name)))
    }

    private func summary(_ outcome: SearchOutcome) -> String {
        let metric = session.metricLabel
        return "\(Format.ratio(outcome.compressionRatio)) (\(Format.bytes(outcome.sizeBytes))) at \(metric) "
            + "\(Format.percent(outcome.value)), fp32 \(Format.percent(outcome.baselineValue)); "
            + (outcome.satisfied ? "budget met" : "budget NOT met") + " after \(outcome.evaluations) evaluations"
    }

    // MARK: effects → LatheCore

    func perform(_ effect: Effect) {
        switch effect {
        case .applyPlan(let plan, let revision):
            if !appliedAny, revision == 0, plan.isIdentity {
                // The session evaluates the uncompressed model as generation 0 from the start.
                revisions[0] = 0
                mailbox.post(.engineUpdated, slot: "engine")
            } else {
                revisions[live.apply(plan)] = revision
            }
            appliedAny = true
        case .startSweep:
            live.startSweep(SensitivityRequest(levels: Self.sweepLevels, model: session.modelPath, modelHash: modelHash,
                                               data: session.dataPath, dataHash: dataHash, cache: SensitivityCache()))
        case .startSearch(let budget):
            let constraint: SearchConstraint
            switch budget {
            case .maxDrop(let drop): constraint = .maxDrop(drop)
            case .ratio(let ratio): constraint = .targetRatio(ratio)
            case .size(let bytes): constraint = .targetSize(bytes)
            }
            let request = SearchRequest(constraint: constraint, model: session.modelPath, modelHash: modelHash,
                                        data: session.dataPath, dataHash: dataHash, cache: SensitivityCache())
            do {
                try request.validate()
                live.startSearch(request)
            } catch {
                mailbox.post(.action(.effectFailed("search: " + ((error as? LatheError)?.message ?? "\(error)"))))
            }
        case .cancelJob:
            live.cancelJob()
        case .exportConfig(let path, let plan, let metrics):
            let session = self.session
            let mailbox = self.mailbox
            files.async {
                mailbox.post(.action(ConfigFiles.export(path: path, plan: plan, metrics: metrics, session: session)))
            }
        case .openConfig(let path):
            let layers = self.layers
            let mailbox = self.mailbox
            files.async { mailbox.post(.action(ConfigFiles.open(path: path, layers: layers))) }
        case .analyzeLayer(let name, let settings):
            guard let weight = weights[name], let layer = layers.first(where: { $0.name == name }) else { return }
            let mailbox = self.mailbox
            analysis.async {
                // A failed analysis still answers, so the UI stops waiting for it.
                let result = (try? LayerAnalyzer.analyze(weight: weight, layer: layer, settings: settings))
                    ?? LayerAnalysis(settings: settings)
                mailbox.post(.action(.layerAnalysis(name: name, analysis: result)))
            }
        case .quit:
            break
        }
    }
}
