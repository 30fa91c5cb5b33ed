import XCTest
@testable import LatheCore

/// The batch-parallel driver every evaluation runs on (`PlanEvaluator`'s
/// `forEachBatch`), seen through whole-dataset outputs of the identity plan.
final class PlanEvaluatorTests: XCTestCase {
    typealias M = ExecutorTestModels

    /// The model's outputs for every sample, in dataset order, with no activation cache.
    private func outputs(session: InferenceSession, dataset: Dataset, batchSize: Int = 32, threads: Int = 2,
                         progress: (@Sendable (String, Int, Int) -> Void)? = nil,
                         isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Tensor {
        let options = EvaluatorOptions(batchSize: batchSize, threads: threads, cacheCapacityBytes: 0)
        return try PlanEvaluator(session: session, dataset: dataset, options: options)
            .outputs(of: .identity(layers: session.layers), progress: progress, isCancelled: isCancelled)
    }

    private func session(kernels: [String: Kernel] = ExecutorTestKernels.table) throws -> InferenceSession {
        var rng = ExecutorSeededFloats(seed: 31)
        let model = M.model([
            Node(opType: "Gemm", inputs: ["x", "w1", "b1"], outputs: ["g"], attributes: ["transB": .int(1)]),
            Node(opType: "Tanh", inputs: ["g"], outputs: ["h"]),
            Node(opType: "MatMul", inputs: ["h", "w2"], outputs: ["y"]),
        ], initializers: ["w1": rng.tensor([8, 5]), "b1": rng.tensor([8]), "w2": rng.tensor([8, 3])])
        return try M.session(model, sampleShape: [5], kernels: kernels)
    }

    private func dataset(_ count: Int) -> Dataset {
        var rng = ExecutorSeededFloats(seed: 32)
        return Dataset(inputs: rng.tensor([count, 5]), labels: nil, path: "data.npz")
    }

    func testOutputsAreIdenticalForAnyThreadCountAndMatchPerSampleRuns() throws {
        let session = try session()
        let data = dataset(37)
        var perSample: [Float] = []
        for i in 0..<37 { perSample += try session.run(data.batch(i..<(i + 1))).output.floats }
        for threads in [1, 2] {
            for batchSize in [1, 4, 32, 64] {
                let outputs = try outputs(session: session, dataset: data, batchSize: batchSize, threads: threads)
                XCTAssertEqual(outputs.shape, [37, 3])
                XCTAssertEqual(outputs.floats, perSample, "threads \(threads), batch \(batchSize)")
            }
        }
    }

    func testProgressCountsSamplesInOrder() throws {
        let seen = LockedBox<[Int]>([])
        _ = try outputs(session: try session(), dataset: dataset(37), batchSize: 8, threads: 2,
                        progress: { _, done, _ in seen.withLock { $0.append(done) } })
        let values = seen.withLock { $0 }
        XCTAssertEqual(values.count, 5)
        XCTAssertEqual(values.last, 37)
        XCTAssertEqual(values, values.sorted())
    }

    func testCancellationStopsAtABatchBoundary() throws {
        let checks = LockedBox(0)
        let batches = LockedBox(0)
        var kernels = ExecutorTestKernels.table
        let matMul = ExecutorTestKernels.matMul
        kernels["MatMul"] = { node, inputs in
            batches.withLock { $0 += 1 }
            return try matMul(node, inputs)
        }
        XCTAssertThrowsError(try outputs(session: try session(kernels: kernels), dataset: dataset(100),
                                         batchSize: 10, threads: 1,
                                         isCancelled: { checks.withLock { $0 += 1; return $0 > 3 } })) {
            XCTAssertTrue($0 is CancellationError, "\($0)")
        }
        // One probe of a single sample chooses the scoring; then 3 batches ran before the stop.
        XCTAssertEqual(batches.withLock { $0 }, 1 + 3)
    }

    func testAWorkerErrorIsRethrown() throws {
        var kernels = ExecutorTestKernels.table
        kernels["MatMul"] = { node, inputs in
            if inputs[0]?.floats.contains(where: \.isNaN) == true { throw LatheError.badInput("NaN in '\(node.displayName)'") }
            return try ExecutorTestKernels.matMul(node, inputs)
        }
        var data = dataset(40)
        var poisoned = try data.arrays[0].tensor
        poisoned.floats[33 * 5] = .nan
        data.arrays[0] = DataArray(name: data.arrays[0].name, tensor: poisoned)
        XCTAssertThrowsError(try outputs(session: try session(kernels: kernels), dataset: data, batchSize: 4,
                                         threads: 2)) {
            XCTAssertEqual(($0 as? LatheError)?.message, "NaN in 'y'")
        }
        XCTAssertThrowsError(try outputs(session: try session(), dataset: dataset(3), batchSize: 0)) {
            XCTAssertEqual(($0 as? LatheError)?.kind, .badInput)
        }
    }
}
