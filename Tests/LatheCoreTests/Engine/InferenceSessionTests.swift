import XCTest
@testable import LatheCore

final class InferenceSessionTests: XCTestCase {
    typealias M = ExecutorTestModels

    /// skl2onnx-like: an int64 label from an ai.onnx.ml op first, probabilities second.
    private func classifier() -> Model {
        M.model([
            Node(opType: "Gemm", inputs: ["x", "w"], outputs: ["logits"]),
            Node(name: "label_op", opType: "ArgMaxClassifier", domain: "ai.onnx.ml", inputs: ["logits"],
                 outputs: ["label"]),
            Node(opType: "Sigmoid", inputs: ["logits"], outputs: ["probabilities"]),
        ], initializers: ["w": M.floats([1, 0, 0, 1], [2, 2])],
           outputs: [("label", .int64), ("probabilities", .float32)])
    }

    func testFirstFloatingOutputIsChosenAndOtherBranchesAreNotValidated() throws {
        let session = try M.session(classifier(), sampleShape: [2])
        XCTAssertEqual(session.outputName, "probabilities")
        XCTAssertFalse(session.graph.nodes.contains { $0.domain == "ai.onnx.ml" })
        let y = try session.run(M.floats([0, 0], [1, 2])).output
        XCTAssertEqual(y.floats, [0.5, 0.5])
    }

    func testUnsupportedOpOnThePathNamesOpNodeAndSupportedOps() {
        XCTAssertThrowsError(try M.session(classifier(), sampleShape: [2], output: "label")) { error in
            let message = (error as? LatheError)?.message ?? ""
            XCTAssertEqual((error as? LatheError)?.kind, .badInput)
            XCTAssertTrue(message.hasPrefix("test.onnx: "), message)
            XCTAssertTrue(message.contains("'ArgMaxClassifier'"), message)
            XCTAssertTrue(message.contains("ai.onnx.ml"), message)
            XCTAssertTrue(message.contains("'label_op'"), message)
            XCTAssertTrue(message.contains("Supported ops: Add, BatchNormalization, Clip"), message)
        }
        // A default-domain op without a kernel is named by its node's first output when unnamed.
        let model = M.model([Node(opType: "Frobnicate", inputs: ["x"], outputs: ["y"])])
        XCTAssertThrowsError(try M.session(model, sampleShape: [1])) { error in
            let message = (error as? LatheError)?.message ?? ""
            XCTAssertTrue(message.contains("node 'y' uses op 'Frobnicate'"), message)
        }
    }

    func testUnknownOutputNameListsTheOutputs() {
        XCTAssertThrowsError(try M.session(classifier(), sampleShape: [2], output: "scores")) { error in
            XCTAssertEqual((error as? LatheError)?.message,
                           "test.onnx: the model has no output 'scores'; its outputs are: label (int64), probabilities (float32)")
        }
    }

    func testDeclaredDimsMustFitTheSampleShape() throws {
        let relu = [Node(opType: "Relu", inputs: ["input"], outputs: ["y"])]
        let model = M.model(relu, input: "input", dims: [.symbolic("N"), .fixed(1), .fixed(32), .fixed(32)])
        XCTAssertThrowsError(try M.session(model, sampleShape: [1, 28, 28])) { error in
            XCTAssertEqual((error as? LatheError)?.message,
                           "test.onnx: sample shape [1, 28, 28] does not fit model input 'input' [N, 1, 32, 32]")
        }
        let anonymous = M.model(relu, input: "input", dims: [.symbolic(""), .fixed(3)])
        XCTAssertThrowsError(try M.session(anonymous, sampleShape: [3, 1])) { error in
            XCTAssertEqual((error as? LatheError)?.message,
                           "test.onnx: sample shape [3, 1] does not fit model input 'input' [?, 3]")
        }
        // A fixed batch dim is still the batch: other batch sizes run.
        let fixedBatch = M.model(relu, input: "input", dims: [.fixed(1), .symbolic("h"), .fixed(2)])
        let session = try M.session(fixedBatch, sampleShape: [5, 2])
        XCTAssertEqual(try session.run(Tensor.zeros([3, 5, 2])).output.shape, [3, 5, 2])
    }

    func testEveryInputTheOutputNeedsIsFed() throws {
        let twoInputs = M.model([Node(opType: "Add", inputs: ["x", "z"], outputs: ["y"])], inputs: ["z"])
        XCTAssertThrowsError(try M.session(twoInputs, sampleShape: [2])) { error in
            XCTAssertEqual((error as? LatheError)?.message,
                           "test.onnx: no array for model input 'z' (float32 of undeclared shape): the model's inputs "
                            + "x, z are fed from the arrays of those names, and the file holds x. Add an array 'z' "
                            + "with one row per sample (or a leading 1 to share it with every batch)")
        }
        // An input only another output needs is no problem.
        var other = M.model([
            Node(opType: "Relu", inputs: ["x"], outputs: ["y"]),
            Node(opType: "Relu", inputs: ["z"], outputs: ["w"]),
        ], inputs: ["z"], outputs: [("y", .float32), ("w", .float32)])
        XCTAssertEqual(try M.session(other, sampleShape: [2]).inputName, "x")
        other.graph.nodes[0].inputs = ["c"]
        other.graph.initializers["c"] = M.floats([1])
        XCTAssertThrowsError(try M.session(other, sampleShape: [2], output: "y")) { error in
            XCTAssertTrue((error as? LatheError)?.message.contains("depends on no graph input") == true)
        }
    }

    func testBatchShapeIsChecked() throws {
        let session = try M.session(M.model([Node(opType: "Relu", inputs: ["x"], outputs: ["y"])]), sampleShape: [2])
        XCTAssertThrowsError(try session.run(Tensor.zeros([4, 3]))) { error in
            XCTAssertEqual((error as? LatheError)?.kind, .badInput)
        }
    }

    /// The model's opset picks each op's form once, at load: Softmax before
    /// opset 13 normalises the flattened sample, from 13 on each last-axis row.
    func testTheModelsOpsetPicksTheOpsForm() throws {
        func softmax(opset: Int) throws -> [Float] {
            let model = M.model([Node(opType: "Softmax", inputs: ["x"], outputs: ["y"])], opset: opset)
            return try InferenceSession(model: model, sampleShape: [2, 2]).run(Tensor.zeros([1, 2, 2])).output.floats
        }
        XCTAssertEqual(try softmax(opset: 11), [0.25, 0.25, 0.25, 0.25])
        XCTAssertEqual(try softmax(opset: 13), [0.5, 0.5, 0.5, 0.5])
    }
}

final class WeightLayerDiscoveryTests: XCTestCase {
    typealias M = ExecutorTestModels

    func testLayersAxesMacsAndInputs() throws {
        var rng = ExecutorSeededFloats(seed: 5)
        let model = M.model([
            Node(name: "conv1", opType: "Conv", inputs: ["x", "conv.w", "conv.b"], outputs: ["c"],
                 attributes: ["pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])]),
            Node(opType: "Relu", inputs: ["c"], outputs: ["r"]),
            Node(opType: "Reshape", inputs: ["r", "flat"], outputs: ["f"]),
            Node(name: "fc", opType: "Gemm", inputs: ["f", "fc.w", "fc.b"], outputs: ["g"], attributes: ["transB": .int(1)]),
            Node(opType: "MatMul", inputs: ["g", "proj"], outputs: ["p"]),
            Node(opType: "Unsqueeze", inputs: ["p", "axes"], outputs: ["pu"]),
            Node(opType: "MatMul", inputs: ["left", "pu"], outputs: ["l"]),
            Node(opType: "MatMul", inputs: ["l", "proj2"], outputs: ["y"]),
        ], initializers: [
            "conv.w": rng.tensor([4, 3, 3, 3]), "conv.b": rng.tensor([4]), "flat": M.ints([0, -1]),
            "fc.w": rng.tensor([6, 64]), "fc.b": rng.tensor([6]), "proj": rng.tensor([6, 5]),
            "axes": M.ints([2]), "left": rng.tensor([2, 5]), "proj2": rng.tensor([1, 7]),
        ])
        let session = try M.session(model, sampleShape: [3, 8, 8])
        XCTAssertEqual(session.layers.map(\.name), ["conv.w", "fc.w", "proj", "left", "proj2"])
        let byName = Dictionary(uniqueKeysWithValues: session.layers.map { ($0.name, $0) })
        // Conv: 4·4·4 outputs × 3·3·3 each.
        XCTAssertEqual(byName["conv.w"]?.macs, 4 * 4 * 4 * 27)
        XCTAssertEqual(byName["conv.w"]?.channelAxis, 0)
        XCTAssertEqual(byName["conv.w"]?.reductionAxis, 1)
        XCTAssertEqual(byName["conv.w"]?.biasName, "conv.b")
        XCTAssertEqual(byName["conv.w"]?.nodeName, "conv1")
        XCTAssertEqual(byName["fc.w"]?.macs, 6 * 64)
        XCTAssertEqual(byName["fc.w"]?.channelAxis, 0)
        XCTAssertEqual(byName["proj"]?.macs, 5 * 6)
        XCTAssertEqual(byName["proj"]?.channelAxis, 1)
        XCTAssertEqual(byName["proj"]?.op, .matMul)
        // Weight on the left: W [2,5] · pu [N,5,1] → [N,2,1]; W's rows are the output channels.
        XCTAssertEqual(byName["left"]?.channelAxis, 0)
        XCTAssertEqual(byName["left"]?.reductionAxis, 1)
        XCTAssertEqual(byName["left"]?.macs, 2 * 1 * 5)
        XCTAssertEqual(session.layerInputName(byName["conv.w"]!), "x")
        XCTAssertEqual(session.layerInputName(byName["fc.w"]!), "f")
        XCTAssertEqual(session.layerInputName(byName["left"]!), "pu")
    }
}
