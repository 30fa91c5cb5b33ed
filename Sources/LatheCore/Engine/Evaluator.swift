import Foundation

/// Runs a session over a whole dataset, batch by batch, on several threads.
public enum Evaluator {
    /// The model's outputs for every sample, `[N, ...]`, in dataset order.
    ///
    /// Batches of `batchSize` are taken from a shared counter by `threads`
    /// workers; each batch's result lands at its samples' indices, so the result
    /// is identical whatever the thread count. `progress` receives the number
    /// of samples done so far (called on worker threads, serialised, increasing).
    /// `isCancelled` is checked at batch boundaries; cancellation throws
    /// `CancellationError`. An error in any batch stops the other workers and is
    /// rethrown (the one from the earliest batch, when several fail).
    public static func outputs(session: InferenceSession, dataset: Dataset, options: RunOptions = RunOptions(),
                               batchSize: Int = 32, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                               progress: (@Sendable (Int) -> Void)? = nil,
                               isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Tensor {
        guard batchSize >= 1 else { throw LatheError.badInput("batch size must be at least 1, got \(batchSize)") }
        guard dataset.sampleShape == session.sampleShape else {
            throw LatheError.badInput(file: dataset.path, "sample shape \(ModelBinding.describe(dataset.sampleShape)) "
                + "differs from the session's \(ModelBinding.describe(session.sampleShape))")
        }
        Engine.prepare()
        let count = dataset.count
        let batchCount = (count + batchSize - 1) / batchSize
        guard batchCount > 0 else { throw LatheError.badInput(file: dataset.path, "the dataset has no samples") }

        let state = LockedBox(EvaluationState(batchCount: batchCount))
        let workers = max(1, min(threads, batchCount))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                if isCancelled() {
                    state.withLock { $0.fail(batch: -1, CancellationError()) }
                    return
                }
                guard let batch = state.withLock({ $0.takeBatch() }) else { return }
                let range = (batch * batchSize)..<min((batch + 1) * batchSize, count)
                do {
                    let output = try session.run(dataset.batch(range), options: options).output
                    guard output.shape.first == range.count else {
                        throw LatheError.badInput(file: session.modelPath, "output '\(session.outputName)' has shape "
                            + "\(ModelBinding.describe(output.shape)) for a batch of \(range.count): its first "
                            + "dimension is not the batch")
                    }
                    state.withLock { state in
                        state.results[batch] = output
                        state.samplesDone += range.count
                        progress?(state.samplesDone)
                    }
                } catch {
                    state.withLock { $0.fail(batch: batch, error) }
                    return
                }
            }
        }
        return try state.withLock { state in
            if let failure = state.failure { throw failure.error }
            return try assemble(state.results, count: count, session: session)
        }
    }

    /// Stacks per-batch outputs into one `[N, ...]` tensor.
    private static func assemble(_ results: [Tensor?], count: Int, session: InferenceSession) throws -> Tensor {
        guard let first = results.first ?? nil else { throw LatheError.internalFailure("no batch was evaluated") }
        let sampleShape = Array(first.shape.dropFirst())
        let perSample = sampleShape.reduce(1, *)
        var floats: [Float] = []
        var ints: [Int64] = []
        if first.isFloat { floats.reserveCapacity(count * perSample) } else { ints.reserveCapacity(count * perSample) }
        for result in results {
            guard let result else { throw LatheError.internalFailure("a batch result is missing") }
            guard Array(result.shape.dropFirst()) == sampleShape, result.dtype == first.dtype else {
                throw LatheError.badInput(file: session.modelPath, "output '\(session.outputName)' changes shape "
                    + "between batches: \(ModelBinding.describe(first.shape)) and \(ModelBinding.describe(result.shape))")
            }
            if first.isFloat { floats.append(contentsOf: result.floats) } else { ints.append(contentsOf: result.ints) }
        }
        let shape = [count] + sampleShape
        return first.isFloat ? Tensor(shape: shape, floats: floats, dtype: first.dtype)
            : Tensor(shape: shape, ints: ints, dtype: first.dtype)
    }
}

/// Shared by the evaluation workers, under a lock.
private struct EvaluationState {
    let batchCount: Int
    var next = 0
    var results: [Tensor?]
    var samplesDone = 0
    /// The first failure by batch index (-1 for cancellation, which wins).
    var failure: (batch: Int, error: any Error)?

    init(batchCount: Int) {
        self.batchCount = batchCount
        results = [Tensor?](repeating: nil, count: batchCount)
    }

    /// The next batch to run, or nil when all are taken or the run failed.
    mutating func takeBatch() -> Int? {
        guard failure == nil, next < batchCount else { return nil }
        defer { next += 1 }
        return next
    }

    mutating func fail(batch: Int, _ error: any Error) {
        if let failure, failure.batch <= batch { return }
        failure = (batch, error)
    }
}
