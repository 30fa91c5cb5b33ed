import XCTest
@testable import LatheCore

final class ActivationFusionTests: XCTestCase {
    typealias M = ExecutorTestModels

    private func convModel(_ activation: Node, extra: [String: Tensor] = [:]) -> Model {
        var rng = ExecutorSeededFloats(seed: 10)
        return M.model([
            Node(opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"]),
            activation,
            Node(opType: "Conv", inputs: ["a", "w2"], outputs: ["y"]),
        ], initializers: extra.merging(["w": rng.tensor([3, 2, 3, 3]), "b": rng.tensor([3]),
                                        "w2": rng.tensor([2, 3, 1, 1])]) { a, _ in a })
    }

    func testFusedActivationsMatchUnfusedExecution() throws {
        let cases: [(Node, [String: AttributeValue])] = [
            (Node(opType: "Relu", inputs: ["c"], outputs: ["a"]), ["lathe.activation": .string("Relu")]),
            (Node(opType: "LeakyRelu", inputs: ["c"], outputs: ["a"], attributes: ["alpha": .float(0.2)]),
             ["lathe.activation": .string("LeakyRelu"), "lathe.alpha": .float(0.2)]),
            (Node(opType: "Clip", inputs: ["c", "lo", "hi"], outputs: ["a"]),
             ["lathe.activation": .string("Clip"), "lathe.min": .float(0), "lathe.max": .float(0.5)]),
            (Node(opType: "Clip", inputs: ["c", "", "hi"], outputs: ["a"]),
             ["lathe.activation": .string("Clip"), "lathe.min": .float(-.infinity), "lathe.max": .float(0.5)]),
            (Node(opType: "Sigmoid", inputs: ["c"], outputs: ["a"]), ["lathe.activation": .string("Sigmoid")]),
        ]
        for (activation, expected) in cases {
            let model = convModel(activation, extra: ["lo": .scalar(0), "hi": .scalar(0.5)])
            let session = try M.session(model, sampleShape: [2, 5, 5])
            XCTAssertEqual(session.graph.nodes.map(\.opType), ["Conv", "Conv"], activation.opType)
            let conv = session.graph.nodes[0]
            XCTAssertEqual(conv.outputs, ["a"], "the producer takes the activation's output name")
            for (key, value) in expected { XCTAssertEqual(conv.attributes[key], value, "\(activation.opType) \(key)") }
            XCTAssertEqual(session.layerInputName(session.layers[1]), "a")

            var rng = ExecutorSeededFloats(seed: 11)
            let x = rng.tensor([2, 2, 5, 5])
            let reference = try XCTUnwrap(try ExecutorTestKernels.naiveRun(model.graph, input: ("x", x))["y"])
            executorAssertClose(try session.run(x).output, reference, tolerance: 1e-5)
            // The production kernels read the same fused attributes.
            let production = try M.session(model, sampleShape: [2, 5, 5], kernels: OpRegistry.kernels(opset: 17))
            executorAssertClose(try production.run(x).output, reference, tolerance: 1e-5)
        }
    }

    /// Conv → Sigmoid, Mul(conv, sigmoid) (either operand order) is one Conv computing SiLU, with the
    /// same values as the two nodes (the fused and standalone sigmoids share `FastExp`), and the SIMD
    /// lanes equal the scalar path bit for bit.
    func testSiLUFusesIntoTheProducerInEitherOperandOrder() throws {
        for swapped in [false, true] {
            var rng = ExecutorSeededFloats(seed: 12)
            let model = M.model([
                Node(opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"]),
                Node(opType: "Sigmoid", inputs: ["c"], outputs: ["s"]),
                Node(opType: "Mul", inputs: swapped ? ["s", "c"] : ["c", "s"], outputs: ["a"]),
                Node(opType: "Conv", inputs: ["a", "w2"], outputs: ["y"]),
            ], initializers: ["w": rng.tensor([3, 2, 3, 3]), "b": rng.tensor([3]), "w2": rng.tensor([2, 3, 1, 1])])
            let production = try M.session(model, sampleShape: [2, 7, 9], kernels: OpRegistry.kernels(opset: 17))
            XCTAssertEqual(production.graph.nodes.map(\.opType), ["Conv", "Conv"], "swapped \(swapped)")
            XCTAssertEqual(production.graph.nodes[0].attributes["lathe.activation"], .string("SiLU"))
            XCTAssertEqual(production.graph.nodes[0].outputs, ["a"])
            XCTAssertEqual(production.layerInputName(production.layers[1]), "a")
            let x = rng.tensor([3, 2, 7, 9])
            let reference = try XCTUnwrap(try ExecutorTestKernels.naiveRun(model.graph, input: ("x", x))["y"])
            executorAssertClose(try production.run(x).output, reference, tolerance: 1e-5)
        }
        let values: [Float] = [-100, -20, -3.5, -1, -0.25, 0, 0.3, 1, 2.5, 9, 40, 100, -0.0, 1e-3, -7, 15]
        for start in stride(from: 0, to: values.count, by: 8) {
            let lanes = SIMD8<Float>(values[start..<start + 8])
            for activation in [FusedActivation.silu, .sigmoid] {
                let vector = activation.apply(lanes)
                for lane in 0..<8 {
                    XCTAssertEqual(vector[lane].bitPattern, activation.apply(lanes[lane]).bitPattern,
                                   "\(activation) at \(lanes[lane])")
                }
            }
        }
        XCTAssertEqual(FusedActivation.silu.apply(2), 2 / (1 + exp(-2)), accuracy: 1e-6)
        XCTAssertEqual(FusedActivation.silu.apply(-100), 0, accuracy: 1e-30)
    }

    func testSiLUNotFusedWhenTheProducerOutputHasAnotherReader() throws {
        var rng = ExecutorSeededFloats(seed: 13)
        let model = M.model([
            Node(opType: "Conv", inputs: ["x", "w"], outputs: ["c"]),
            Node(opType: "Sigmoid", inputs: ["c"], outputs: ["s"]),
            Node(opType: "Mul", inputs: ["c", "s"], outputs: ["a"]),
            Node(opType: "Add", inputs: ["a", "c"], outputs: ["y"]),
        ], initializers: ["w": rng.tensor([3, 2, 3, 3])])
        let session = try M.session(model, sampleShape: [2, 5, 5], kernels: OpRegistry.kernels(opset: 17))
        XCTAssertEqual(session.graph.nodes.map(\.opType), ["Conv", "Sigmoid", "Mul", "Add"])
    }

    func testNotFusedWhenClipBoundIsComputedOrProducerOutputIsShared() throws {
        let computed = convModel(Node(opType: "Clip", inputs: ["c", "x", ""], outputs: ["a"]))
        XCTAssertNil(ActivationFusion.fusedAttributes(of: computed.graph.nodes[1], constants: computed.graph.initializers))

        var shared = convModel(Node(opType: "Relu", inputs: ["c"], outputs: ["a"]))
        shared.graph.nodes.append(Node(opType: "Add", inputs: ["y", "c"], outputs: ["z"]))
        shared.graph.nodes[2].outputs = ["y"]
        shared.graph.outputs = [ValueInfo(name: "z", dtype: .float32, dims: nil)]
        shared.graph.initializers["w2"] = ExecutorSeededFloats.tensor([3, 3, 1, 1], seed: 1)
        let session = try M.session(shared, sampleShape: [2, 5, 5])
        XCTAssertTrue(session.graph.nodes.contains { $0.opType == "Relu" })
    }

    func testNotFusedIntoAGraphOutput() throws {
        var g = M.model([
            Node(opType: "Gemm", inputs: ["x", "w"], outputs: ["g"]),
            Node(opType: "Relu", inputs: ["g"], outputs: ["y"]),
        ], initializers: ["w": M.floats([1, -1], [1, 2])], outputs: [("g", .float32), ("y", .float32)]).graph
        XCTAssertEqual(ActivationFusion.apply(&g), 0)
    }

    func testIdentityAndDropoutAreRemoved() throws {
        let model = M.model([
            Node(opType: "Identity", inputs: ["x"], outputs: ["i"]),
            Node(opType: "Dropout", inputs: ["i", "ratio"], outputs: ["d"]),
            Node(opType: "Gemm", inputs: ["d", "w"], outputs: ["g"], attributes: ["transB": .int(1)]),
            Node(opType: "Identity", inputs: ["g"], outputs: ["y"]),
        ], initializers: ["w": M.floats([1, 2, 3, 4], [2, 2]), "ratio": .scalar(0.5)])
        let session = try M.session(model, sampleShape: [2])
        // The last Identity produces the graph output and stays.
        XCTAssertEqual(session.graph.nodes.map(\.opType), ["Gemm", "Identity"])
        XCTAssertEqual(session.layerInputName(session.layers[0]), "x")
        XCTAssertEqual(try session.run(M.floats([1, 1], [1, 2])).output.floats, [3, 7])
    }
}
