import XCTest
@testable import LatheCore

final class BatchNormFoldingTests: XCTestCase {
    typealias M = ExecutorTestModels

    /// BN parameters for `channels` with non-trivial values (variances positive).
    private func bnParameters(_ channels: Int, rng: inout ExecutorSeededFloats) -> [String: Tensor] {
        ["gamma": rng.tensor([channels], scale: 0.5, offset: 1), "beta": rng.tensor([channels]),
         "mean": rng.tensor([channels]), "var": rng.tensor([channels], scale: 0.4, offset: 0.6)]
    }

    private func bn(_ input: String, _ output: String) -> Node {
        Node(name: "bn", opType: "BatchNormalization", inputs: [input, "gamma", "beta", "mean", "var"],
             outputs: [output], attributes: ["epsilon": .float(1e-3)])
    }

    /// Runs the model optimised (on the test kernels and on the production
    /// registry) and unoptimised (test kernels, node by node) and compares.
    private func assertFoldedMatchesUnfolded(_ model: Model, sampleShape: [Int], batch: Int = 2,
                                             file: StaticString = #filePath, line: UInt = #line) throws -> InferenceSession {
        var rng = ExecutorSeededFloats(seed: 99)
        let x = rng.tensor([batch] + sampleShape)
        let reference = try XCTUnwrap(try ExecutorTestKernels.naiveRun(model.graph, input: ("x", x))["y"])
        var sessions: [InferenceSession] = []
        for kernels in [ExecutorTestKernels.table, OpRegistry.kernels(opset: 17)] {
            let session = try M.session(model, sampleShape: sampleShape, kernels: kernels)
            XCTAssertFalse(session.graph.nodes.contains { $0.opType == "BatchNormalization" }, "BN folded",
                           file: file, line: line)
            executorAssertClose(try session.run(x).output, reference, tolerance: 2e-5, file: file, line: line)
            sessions.append(session)
        }
        return sessions[0]
    }

    func testConvWithBiasFoldsExactly() throws {
        var rng = ExecutorSeededFloats(seed: 1)
        var initializers = bnParameters(4, rng: &rng)
        initializers["w"] = rng.tensor([4, 3, 3, 3])
        initializers["b"] = rng.tensor([4])
        let model = M.model([
            Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            bn("c", "y"),
        ], initializers: initializers)
        let session = try assertFoldedMatchesUnfolded(model, sampleShape: [3, 5, 5])
        XCTAssertEqual(session.layers.map(\.name), ["w"])
        XCTAssertEqual(session.layers.first?.biasName, "b")
        XCTAssertEqual(Set(session.weights.keys), ["w", "b"])

        // Hand check of channel 0: w' = w·γ/√(var+ε), b' = (b − mean)·γ/√(var+ε) + β.
        let g = initializers["gamma"]!.floats[0], v = initializers["var"]!.floats[0]
        let s = Double(g) / (Double(v) + 1e-3).squareRoot()
        XCTAssertEqual(Double(session.weights["w"]!.floats[5]), Double(initializers["w"]!.floats[5]) * s, accuracy: 1e-6)
        let expectedBias = (Double(initializers["b"]!.floats[0]) - Double(initializers["mean"]!.floats[0])) * s
            + Double(initializers["beta"]!.floats[0])
        XCTAssertEqual(Double(session.weights["b"]!.floats[0]), expectedBias, accuracy: 1e-6)
    }

    func testDepthwiseConvWithoutBiasGetsANamedBias() throws {
        var rng = ExecutorSeededFloats(seed: 2)
        var initializers = bnParameters(4, rng: &rng)
        initializers["dw.weight"] = rng.tensor([4, 1, 3, 3])
        let model = M.model([
            Node(opType: "Conv", inputs: ["x", "dw.weight"], outputs: ["c"], attributes: ["group": .int(4)]),
            bn("c", "y"),
        ], initializers: initializers)
        let session = try assertFoldedMatchesUnfolded(model, sampleShape: [4, 6, 6])
        XCTAssertEqual(session.layers.first?.biasName, "dw.weight_bn_folded_bias")
        XCTAssertEqual(session.layers.first?.groups, 4)
        XCTAssertNotNil(session.weights["dw.weight_bn_folded_bias"])
    }

    func testGroupedConvTransposeScalesItsOutputAxis() throws {
        var rng = ExecutorSeededFloats(seed: 3)
        var initializers = bnParameters(6, rng: &rng)  // 2 groups × 3 output channels
        initializers["w"] = rng.tensor([4, 3, 2, 2])  // C_in 4 = 2 groups × 2
        initializers["b"] = rng.tensor([6])
        let model = M.model([
            Node(opType: "ConvTranspose", inputs: ["x", "w", "b"], outputs: ["c"],
                 attributes: ["group": .int(2), "strides": .ints([2, 2])]),
            bn("c", "y"),
        ], initializers: initializers)
        let session = try assertFoldedMatchesUnfolded(model, sampleShape: [4, 3, 3])
        XCTAssertEqual(session.layers.first?.channelAxis, 1)
    }

    func testGemmFoldsForBothLayoutsAndHonoursBeta() throws {
        for transB in [0, 1] {
            var rng = ExecutorSeededFloats(seed: 4 + UInt64(transB))
            var initializers = bnParameters(5, rng: &rng)
            initializers["w"] = rng.tensor(transB == 1 ? [5, 3] : [3, 5])
            initializers["c"] = rng.tensor([1, 5])
            let model = M.model([
                Node(opType: "Gemm", inputs: ["x", "w", "c"], outputs: ["g"],
                     attributes: ["transB": .int(transB), "beta": .float(0.5), "alpha": .float(2)]),
                bn("g", "y"),
            ], initializers: initializers)
            let session = try assertFoldedMatchesUnfolded(model, sampleShape: [3], batch: 4)
            XCTAssertEqual(session.layers.first?.channelAxis, transB == 1 ? 0 : 1)
        }
    }

    func testNotFoldedWhenTheLayerOutputHasAnotherReader() throws {
        var rng = ExecutorSeededFloats(seed: 6)
        var initializers = bnParameters(2, rng: &rng)
        initializers["w"] = rng.tensor([2, 1, 1, 1])
        let model = M.model([
            Node(opType: "Conv", inputs: ["x", "w"], outputs: ["c"]),
            bn("c", "n"),
            Node(opType: "Add", inputs: ["n", "c"], outputs: ["y"]),
        ], initializers: initializers)
        let session = try M.session(model, sampleShape: [1, 2, 2])
        XCTAssertTrue(session.graph.nodes.contains { $0.opType == "BatchNormalization" })
        XCTAssertEqual(session.weights["w"], initializers["w"])
        let x = rng.tensor([1, 1, 2, 2])
        executorAssertClose(try session.run(x).output,
                            try ExecutorTestKernels.naiveRun(model.graph, input: ("x", x))["y"]!, tolerance: 1e-6)
    }
}
