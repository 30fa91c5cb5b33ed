import Foundation
import XCTest
@testable import LatheCore

/// Control flow through the whole load path (captures, passes, validation,
/// folding, layers, compiled execution) on hand-built models.
final class ControlFlowGraphTests: XCTestCase {
    typealias M = ExecutorTestModels
    let kernels = OpRegistry.kernels(opset: 17)

    private func branch(_ nodes: [Node], returns outputs: [String], initializers: [String: Tensor] = [:]) -> Graph {
        Graph(nodes: nodes, initializers: initializers, inputs: [],
              outputs: outputs.map { ValueInfo(name: $0, dtype: nil, dims: nil) })
    }

    /// y = If(mean(x) > 0) then relu(x) · w else −relu(x). The branches read `t` — computed by the main
    /// graph at run time, through an Identity that only the branches read — and the weight `w`.
    private func dataDependentIf() -> Model {
        let then = branch([Node(opType: "Mul", inputs: ["t", "w"], outputs: ["scaled"])], returns: ["scaled"])
        let otherwise = branch([Node(opType: "Neg", inputs: ["t"], outputs: ["negated"])], returns: ["negated"])
        return M.model([
            Node(opType: "Relu", inputs: ["x"], outputs: ["r"]),
            Node(opType: "Identity", inputs: ["r"], outputs: ["t"]),
            Node(opType: "ReduceMean", inputs: ["x"], outputs: ["mean"], attributes: ["keepdims": .int(0)]),
            Node(opType: "Greater", inputs: ["mean", "zero"], outputs: ["positive"]),
            Node(name: "route", opType: "If", inputs: ["positive"], outputs: ["y"],
                 attributes: ["then_branch": .graph(then), "else_branch": .graph(otherwise)]),
        ], initializers: ["w": M.floats([2, -3, 0.5]), "zero": .scalar(0)],
           dims: [.symbolic("batch"), .fixed(3)])
    }

    func testIfBranchReadsOuterValueComputedAtRunTime() throws {
        let session = try M.session(dataDependentIf(), sampleShape: [3], kernels: kernels)
        let node = try XCTUnwrap(session.graph.nodes.first { $0.opType == "If" })
        // The Identity is gone and its reader renamed, inside the If too: the capture is `r` now.
        XCTAssertFalse(session.graph.nodes.contains { $0.opType == "Identity" })
        XCTAssertEqual(node.inputs, ["positive", "r", "w"])
        XCTAssertEqual(node.graph("then_branch")?.inputs.map(\.name), ["t", "w"])

        let positive = M.floats([1, -2, 3, 4, 5, -6], [2, 3])
        XCTAssertEqual(try session.run(positive).output.floats, [2, -0, 1.5, 8, -15, 0])
        let negative = M.floats([-1, 2, -3, -4, -5, 6], [2, 3])
        XCTAssertEqual(try session.run(negative).output.floats, [-0, -2, -0, -0, -0, -6])
    }

    /// relu(x) + If(one > zero) then (relu(x) + k, relu(x)) else (`elseOp`(relu(x)), relu(x)); the condition
    /// is constant only after folding Greater(one, zero). The then branch has its own constant and an output
    /// that is a captured outer value.
    private func constantConditionModel(elseOp: String, condition: String = "yes") -> Model {
        let then = branch([Node(opType: "Add", inputs: ["t", "k"], outputs: ["sum"])], returns: ["sum", "t"],
                          initializers: ["k": M.floats([10, 20, 30])])
        let otherwise = branch([Node(opType: elseOp, inputs: ["t"], outputs: ["f"])], returns: ["f", "t"])
        return M.model([
            Node(opType: "Relu", inputs: ["x"], outputs: ["t"]),
            Node(opType: "Greater", inputs: ["one", "zero"], outputs: ["yes"]),
            Node(opType: "ReduceMean", inputs: ["x"], outputs: ["mean"], attributes: ["keepdims": .int(0)]),
            Node(opType: "Greater", inputs: ["mean", "zero"], outputs: ["positive"]),
            Node(name: "fold_me", opType: "If", inputs: [condition], outputs: ["y", "copy"],
                 attributes: ["then_branch": .graph(then), "else_branch": .graph(otherwise)]),
            Node(opType: "Add", inputs: ["y", "copy"], outputs: ["z"]),
        ], initializers: ["one": .scalar(1), "zero": .scalar(0)], dims: [.symbolic("batch"), .fixed(3)],
           outputs: [("z", .float32)])
    }

    func testConstantConditionIsFoldedAwayEvenWithAnUnsupportedOpInTheBranchNotTaken() throws {
        for elseOp in ["Neg", "Frobnicate"] {
            let session = try M.session(constantConditionModel(elseOp: elseOp), sampleShape: [3], kernels: kernels)
            XCTAssertFalse(session.graph.nodes.contains { $0.opType == "If" || $0.hasSubgraphs })
            XCTAssertEqual(session.graph.nodes.map(\.opType), ["Relu", "Add", "Identity", "Add"])
            XCTAssertEqual(session.graph.initializers["fold_me/k"]?.floats, [10, 20, 30])
            let x = M.floats([1, -2, 3], [1, 3])
            // z = (relu(x) + k) + relu(x)
            XCTAssertEqual(try session.run(x).output.floats, [12, 20, 36])
        }
    }

    func testUnsupportedOpInABranchThatMayRunIsRefusedAtLoad() throws {
        // The same branches behind a condition computed from the data: either branch may run.
        let model = constantConditionModel(elseOp: "Frobnicate", condition: "positive")
        XCTAssertThrowsError(try M.session(model, sampleShape: [3], kernels: kernels)) { error in
            let message = (error as? LatheError)?.message ?? ""
            XCTAssertTrue(message.contains("'Frobnicate'") && message.contains("else_branch"), "\(error)")
        }
        // The branch a constant condition takes is checked like the main graph once inlined.
        var taken = constantConditionModel(elseOp: "Neg")
        taken.graph.initializers["one"] = .scalar(0)
        taken.graph.nodes[4].attributes["else_branch"] = .graph(
            branch([Node(opType: "Frobnicate", inputs: ["t"], outputs: ["f"])], returns: ["f", "t"]))
        XCTAssertThrowsError(try M.session(taken, sampleShape: [3], kernels: kernels)) { error in
            XCTAssertTrue((error as? LatheError)?.message.contains("'Frobnicate'") == true, "\(error)")
        }
    }

    /// A Loop body applying W (read from the main graph) twice; the main graph's own MatMul weight is a
    /// layer, the one read only inside the body is not (compressing it is not supported).
    private func loopModel(bodyOp: String = "MatMul") -> Model {
        let body = Graph(nodes: [
            Node(opType: bodyOp, inputs: ["h_in", "W"], outputs: ["h_out"]),
            Node(opType: "Identity", inputs: ["c_in"], outputs: ["c_out"]),
        ], initializers: [:], inputs: ["i", "c_in", "h_in"].map { ValueInfo(name: $0, dtype: nil, dims: nil) },
           outputs: ["c_out", "h_out"].map { ValueInfo(name: $0, dtype: nil, dims: nil) })
        return M.model([
            Node(opType: "MatMul", inputs: ["x", "W0"], outputs: ["h0"]),
            Node(name: "repeat", opType: "Loop", inputs: ["n", "", "h0"], outputs: ["y"],
                 attributes: ["body": .graph(body)]),
        ], initializers: ["W0": M.floats([1, 2, 3, 4], [2, 2]), "W": M.floats([0, 1, 1, 0], [2, 2]),
                          "n": .scalar(int: 3)], dims: [.symbolic("batch"), .fixed(2)])
    }

    func testLoopReadsMainGraphWeightWhichIsNotALayer() throws {
        let session = try M.session(loopModel(), sampleShape: [2], kernels: kernels)
        XCTAssertEqual(session.layers.map(\.name), ["W0"])
        // h0 = [1·1+1·3, 1·2+1·4] = [4, 6]; W swaps the two columns, three times.
        XCTAssertEqual(try session.run(M.floats([1, 1], [1, 2])).output.floats, [6, 4])
    }

    func testUnsupportedOpInsideABodyIsRefusedAtLoadNamingIt() {
        XCTAssertThrowsError(try M.session(loopModel(bodyOp: "Frobnicate"), sampleShape: [2], kernels: kernels)) {
            let error = $0 as? LatheError
            XCTAssertEqual(error?.kind, .badInput)
            let message = error?.message ?? ""
            XCTAssertTrue(message.contains("'Frobnicate'") && message.contains("the body of Loop node 'repeat'"),
                          message)
        }
    }

    func testSubgraphsSurviveWritingAndReading() throws {
        let original = dataDependentIf()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("if.onnx").path
        try ONNXWriter.write(original, to: path)
        let read = try ONNXReader.read(path: path)
        XCTAssertEqual(read.graph, original.graph)
        let y = try M.session(read, sampleShape: [3], kernels: kernels).run(M.floats([1, 2, 3], [1, 3])).output
        XCTAssertEqual(y.floats, [2, -6, 1.5])
    }

    func testReaderOrdersANodeAfterTheProducersItsSubgraphsRead() throws {
        // The If comes first in the file although its branches read `t`, produced by the Relu after it.
        var model = dataDependentIf()
        model.graph.nodes.swapAt(0, 4)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("unsorted.onnx").path
        try ONNXWriter.write(model, to: path)
        let order = try ONNXReader.read(path: path).graph.nodes.map(\.opType)
        let ifIndex = try XCTUnwrap(order.firstIndex(of: "If"))
        XCTAssertLessThan(try XCTUnwrap(order.firstIndex(of: "Identity")), ifIndex, "\(order)")
        XCTAssertLessThan(try XCTUnwrap(order.firstIndex(of: "Greater")), ifIndex, "\(order)")
    }
}
