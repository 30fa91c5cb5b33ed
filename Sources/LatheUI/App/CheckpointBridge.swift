import Foundation
import LatheCore

/// The explorer's seam to LatheCore for a weights-only checkpoint (safetensors, GGUF), in place
/// of `EngineBridge`: no graph and no data, so a plan's numbers are its size and its data-free
/// error (`CheckpointEvaluator`: the param-weighted SQNR of the compressed layers), posted as
/// the engine's status; `s` fills the heatmap with each layer's data-free SQNR per bit-width;
/// the automatic search, which needs a metric on data, is refused with a message.
public final class CheckpointBridge: Sendable {
    private let evaluator: CheckpointEvaluator
    private let mailbox: UIMailbox<Action>
    private let session: SessionInfo
    private let work = DispatchQueue(label: "lathe.explorer.checkpoint", qos: .userInitiated)
    private let analysis = DispatchQueue(label: "lathe.explorer.analysis", qos: .utility)
    private let files = DispatchQueue(label: "lathe.explorer.files", qos: .userInitiated)
    /// The newest plan revision asked for: older evaluations stop between layers.
    private let newest = Generation()

    public init(evaluator: CheckpointEvaluator, mailbox: UIMailbox<Action>, session: SessionInfo) {
        self.evaluator = evaluator
        self.mailbox = mailbox
        self.session = session
    }

    /// The status-bar reason for the SQNR a weights-only file shows.
    public static let metricReason = "weights only, no data: param-weighted SQNR of the compressed weights"

    /// Before the process ends: stops an evaluation in flight (between layers) and waits for
    /// configuration files being written, as `EngineBridge.shutDown` does.
    public func shutDown() {
        newest.set(Int.min)
        files.sync {}
    }

    public func perform(_ effect: Effect) {
        let mailbox = self.mailbox
        let evaluator = self.evaluator
        switch effect {
        case .applyPlan(let plan, let revision):
            newest.set(revision)
            let newest = self.newest
            work.async {
                do {
                    let result = try evaluator.evaluate(plan, progress: { done, total in
                        guard done < total else { return }
                        mailbox.post(.engine(Self.status(revision: revision, done: done, total: total, result: nil,
                                                         baseline: evaluator.checkpoint.storedBytes)), slot: "engine")
                    }, isCancelled: { newest.value != revision })
                    guard let result else { return }
                    mailbox.post(.engine(Self.status(revision: revision, done: evaluator.tensors.count,
                                                     total: evaluator.tensors.count, result: result,
                                                     baseline: result.baselineBytes)), slot: "engine")
                } catch {
                    var status = Self.status(revision: revision, done: 0, total: evaluator.tensors.count, result: nil,
                                             baseline: evaluator.checkpoint.storedBytes)
                    status.error = (error as? LatheError)?.message ?? "\(error)"
                    mailbox.post(.engine(status), slot: "engine")
                }
            }
        case .startSweep:
            let levels = EngineBridge.sweepLevels.bits
            analysis.async {
                var layers: [String: SensitivityData.Layer] = [:]
                for (name, sqnr) in evaluator.sensitivity(bits: levels) {
                    var cells: [SensitivityLevel: SensitivityData.Cell] = [:]
                    for bits in levels {
                        guard let db = sqnr[bits] else { continue }
                        cells[.bits(bits)] = .init(value: db, loss: ScoreMetric.sqnr.degradation(baseline: .infinity, value: db))
                    }
                    let fewest = levels.min().flatMap { sqnr[$0] }
                    layers[name] = .init(cells: cells, score: fewest.map { BitAllocation.noiseRatio($0) })
                }
                mailbox.post(.sensitivity(SensitivityData(metric: .sqnr, baseline: .infinity,
                                                          levels: levels.map { .bits($0) }, layers: layers,
                                                          isComplete: true)), slot: "sensitivity")
            }
        case .startSearch:
            mailbox.post(.effectFailed("search: a weights-only checkpoint has no data to score plans on; "
                + "`lathe sensitivity FILE --target-bits N` suggests bit-widths from the data-free SQNR"))
        case .cancelJob:
            break
        case .exportConfig(let path, let plan, let metrics):
            let session = self.session
            files.async { mailbox.post(ConfigFiles.export(path: path, plan: plan, metrics: metrics, session: session)) }
        case .exportModel(let path, _):
            mailbox.post(.exportFailed(path: path, message: "a weights-only checkpoint has no graph to write as "
                + ".onnx; export the configuration (.yaml) instead"))
        case .openConfig(let path):
            let layers = evaluator.layers
            files.async { mailbox.post(ConfigFiles.open(path: path, layers: layers)) }
        case .analyzeLayer(let name, let settings):
            analysis.async {
                mailbox.post(.layerAnalysis(name: name, analysis: evaluator.analyze(name: name, settings: settings)))
            }
        case .quit:
            break
        }
    }

    /// The status bar's numbers: the SQNR once every layer is done, layers done so far meanwhile.
    static func status(revision: Int, done: Int, total: Int, result: CheckpointEvaluator.Result?,
                       baseline: Int) -> EngineStatus {
        let size = result?.sizeBytes ?? baseline
        return EngineStatus(revision: revision, value: result?.sqnrDB, samplesDone: done, samplesTotal: total,
                            isFinal: result != nil, baselineValue: .infinity, sizeBytes: size, baselineBytes: baseline,
                            compressionRatio: size > 0 ? Double(baseline) / Double(size) : 1,
                            layerSizes: result?.layerSizes ?? [:])
    }

    /// A revision number shared between the UI thread and the evaluation queue.
    private final class Generation: @unchecked Sendable {
        // @unchecked: `current` is guarded by `lock`.
        private let lock = NSLock()
        private var current = -1
        var value: Int { lock.withLock { current } }
        func set(_ revision: Int) { lock.withLock { current = revision } }
    }
}

extension LayerInfo {
    /// A checkpoint's layers as the explorer lists them: the stored type in the op column,
    /// streaming statistics and a 128-bin histogram, the stored bytes as the baseline.
    public static func all(in evaluator: CheckpointEvaluator) -> [LayerInfo] {
        let profiles = CheckpointScan.profiles(evaluator.tensors, bins: 128)
        return zip(evaluator.tensors, profiles).compactMap { tensor, profile in
            guard let profile else { return nil }
            return LayerInfo(name: tensor.name, op: tensor.encoding.typeName, shape: tensor.shape, params: tensor.count,
                             stats: profile.stats, histogram: profile.histogram, baselineBytes: tensor.bytes)
        }
    }
}
