import Foundation
import LatheCore

/// What `lathe eval` evaluates: the model as loaded, or (for the compression
/// work) the same session with replaced weights and input transforms.
struct EvaluationPlan {
    var options: RunOptions
    /// Deployed size of the plan in bytes; nil means the uncompressed baseline.
    var sizeBytes: Int?

    static var uncompressed: EvaluationPlan { EvaluationPlan(options: RunOptions(), sizeBytes: nil) }

    /// An uncompressed plan is its own reference, so its outputs need no second run.
    var isUncompressed: Bool { options.weights.isEmpty && options.inputTransforms.isEmpty }
}

/// The outcome of evaluating a plan on a dataset.
struct EvaluationReport {
    var metrics: Metrics
    /// Raw outputs `[N, ...]` of the evaluated plan.
    var outputs: Tensor
    /// Wall time of the plan's evaluation (the reference run, if any, is not counted).
    var seconds: Double
    var sizeBytes: Int
    var baselineBytes: Int

    var compressionRatio: Double { sizeBytes > 0 ? Double(baselineBytes) / Double(sizeBytes) : 1 }
}

/// Evaluates a plan and scores it against the labels and against the
/// uncompressed model's top-1 predictions (`agreement`).
enum EvaluationRunner {
    typealias Progress = @Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void

    static func run(session: InferenceSession, dataset: Dataset, plan: EvaluationPlan,
                    batchSize: Int, threads: Int, progress: Progress?) throws -> EvaluationReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let outputs = try evaluate(session: session, dataset: dataset, options: plan.options,
                                   batchSize: batchSize, threads: threads, phase: "evaluating", progress: progress)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard outputs.shape.first == dataset.count else {
            throw LatheError.internalFailure(
                "evaluation returned outputs of shape \(outputs.shape) for \(dataset.count) samples")
        }
        let reference = plan.isUncompressed
            ? outputs
            : try evaluate(session: session, dataset: dataset, options: RunOptions(),
                           batchSize: batchSize, threads: threads, phase: "reference", progress: progress)
        let metrics: Metrics
        do {
            metrics = try Metrics(outputs: outputs, labels: dataset.labels, reference: reference)
        } catch let error as LatheError where error.kind == .badInput {
            throw LatheError.badInput(
                "output '\(session.outputName)': \(error.message) (pass --output NAME to score another output)")
        }
        let baseline = SizeModel.baselineBytes(of: session.weights, layers: session.layers)
        return EvaluationReport(metrics: metrics, outputs: outputs, seconds: seconds,
                                sizeBytes: plan.sizeBytes ?? baseline, baselineBytes: baseline)
    }

    private static func evaluate(session: InferenceSession, dataset: Dataset, options: RunOptions,
                                 batchSize: Int, threads: Int, phase: String,
                                 progress: Progress?) throws -> Tensor {
        var report: (@Sendable (Int) -> Void)?
        if let progress {
            let total = dataset.count
            report = { @Sendable done in progress(phase, done, total) }
        }
        return try Evaluator.outputs(session: session, dataset: dataset, options: options,
                                     batchSize: batchSize, threads: threads, progress: report)
    }
}
