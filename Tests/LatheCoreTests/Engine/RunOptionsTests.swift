import XCTest
@testable import LatheCore

final class RunOptionsTests: XCTestCase {
    typealias M = ExecutorTestModels

    /// x → Probe → Gemm(w1)+Relu → h → Gemm(w2, b2) → y, with every kernel call counted.
    private func mlp(calls: LockedBox<[String: Int]>) throws -> (InferenceSession, Model, [String: Kernel]) {
        var rng = ExecutorSeededFloats(seed: 21)
        let model = M.model([
            Node(opType: "Probe", inputs: ["x"], outputs: ["p"]),
            Node(opType: "Gemm", inputs: ["p", "w1"], outputs: ["g1"], attributes: ["transB": .int(1)]),
            Node(opType: "Relu", inputs: ["g1"], outputs: ["h"]),
            Node(opType: "Gemm", inputs: ["h", "w2", "b2"], outputs: ["y"], attributes: ["transB": .int(1)]),
        ], initializers: ["w1": rng.tensor([4, 3]), "w2": rng.tensor([2, 4]), "b2": rng.tensor([2])])
        var kernels = ExecutorTestKernels.table
        kernels["Probe"] = ExecutorTestKernels.table["Identity"]
        for (op, kernel) in kernels {
            kernels[op] = { node, inputs in
                calls.withLock { $0[op, default: 0] += 1 }
                return try kernel(node, inputs)
            }
        }
        let session = try M.session(model, sampleShape: [3], kernels: kernels)
        calls.withLock { $0 = [:] }  // the session ran a probe sample to measure the Probe's shape
        return (session, model, kernels)
    }

    func testWeightOverridesReplaceInitializersByName() throws {
        let (session, model, kernels) = try mlp(calls: LockedBox([:]))
        let x = ExecutorSeededFloats.tensor([5, 3], seed: 1)
        let w2 = ExecutorSeededFloats.tensor([2, 4], seed: 2)
        var replaced = model.graph
        replaced.initializers["w2"] = w2
        let expected = try XCTUnwrap(try ExecutorTestKernels.naiveRun(replaced, input: ("x", x), kernels: kernels)["y"])
        executorAssertClose(try session.run(x, options: RunOptions(weights: ["w2": w2])).output, expected,
                            tolerance: 1e-6)
        // The session itself is unchanged.
        XCTAssertNotEqual(session.weights["w2"], w2)

        XCTAssertThrowsError(try session.run(x, options: RunOptions(weights: ["w2": Tensor.zeros([4, 2])]))) {
            XCTAssertEqual(($0 as? LatheError)?.message,
                           "replacement for weight 'w2' has shape [4, 2], expected [2, 4]")
        }
        XCTAssertThrowsError(try session.run(x, options: RunOptions(weights: ["w9": Tensor.zeros([1])]))) {
            XCTAssertEqual(($0 as? LatheError)?.kind, .badInput)
        }
    }

    func testInputTransformsApplyToTheLayersDataInput() throws {
        let (session, _, _) = try mlp(calls: LockedBox([:]))
        let x = ExecutorSeededFloats.tensor([5, 3], seed: 3)
        let plain = try session.run(x, options: RunOptions(capture: ["h"]))
        let h = try XCTUnwrap(plain.captured["h"])
        let doubled = try session.run(x, options: RunOptions(inputTransforms: [
            "w2": { Tensor(shape: $0.shape, floats: $0.floats.map { $0 * 2 }) },
        ]))
        let node = Node(opType: "Gemm", inputs: [], outputs: [], attributes: ["transB": .int(1)])
        let expected = try ExecutorTestKernels.gemm(node, [Tensor(shape: h.shape, floats: h.floats.map { $0 * 2 }),
                                                           session.weights["w2"], session.weights["b2"]])[0]
        executorAssertClose(doubled.output, expected, tolerance: 1e-6)
        XCTAssertEqual(session.layerInputName(session.layers[1]), "h")
    }

    func testSeedsSkipEverythingUpstream() throws {
        let calls = LockedBox<[String: Int]>([:])
        let (session, _, _) = try mlp(calls: calls)
        let x = ExecutorSeededFloats.tensor([5, 3], seed: 4)
        let full = try session.run(x, options: RunOptions(capture: ["h", "p"]))
        XCTAssertEqual(Set(full.captured.keys), ["h", "p"])
        XCTAssertEqual(calls.withLock { $0 }, ["Probe": 1, "Gemm": 2])

        calls.withLock { $0 = [:] }
        let seeded = try session.run(x, options: RunOptions(seeds: ["h": try XCTUnwrap(full.captured["h"])]))
        XCTAssertEqual(seeded.output, full.output)
        XCTAssertEqual(calls.withLock { $0 }, ["Gemm": 1], "only the layer after the seed runs")

        // Seeds that make the output itself known run nothing.
        calls.withLock { $0 = [:] }
        XCTAssertEqual(try session.run(x, options: RunOptions(seeds: ["y": full.output])).output, full.output)
        XCTAssertEqual(calls.withLock { $0 }, [:])
    }

    func testCaptureOfUnknownOrFusedValuesIsAnError() throws {
        let (session, _, _) = try mlp(calls: LockedBox([:]))
        let x = Tensor.zeros([1, 3])
        for name in ["nothing", "g1"] {  // g1 was fused away with the Relu
            XCTAssertThrowsError(try session.run(x, options: RunOptions(capture: [name]))) {
                XCTAssertEqual(($0 as? LatheError)?.kind, .badInput, name)
            }
        }
        // Constants can be captured.
        XCTAssertEqual(try session.run(x, options: RunOptions(capture: ["w1"])).captured["w1"], session.weights["w1"])
    }
}
