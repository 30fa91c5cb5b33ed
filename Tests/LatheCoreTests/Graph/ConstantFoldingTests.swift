import XCTest
@testable import LatheCore

final class ConstantFoldingTests: XCTestCase {
    typealias M = ExecutorTestModels

    private func graph() -> Graph {
        M.model([
            Node(opType: "Add", inputs: ["c1", "c2"], outputs: ["s"]),
            Node(opType: "Mul", inputs: ["s", "c3"], outputs: ["t"]),
            Node(opType: "Mul", inputs: ["x", "t"], outputs: ["y"]),
        ], initializers: ["c1": M.floats([1, 2]), "c2": M.floats([3, 4]), "c3": M.floats([2, 2])]).graph
    }

    func testConstantChainsBecomeInitializers() throws {
        var g = graph()
        let folded = try ConstantFolding.apply(&g, kernels: ExecutorTestKernels.table)
        XCTAssertEqual(folded, 2)
        XCTAssertEqual(g.nodes.map(\.opType), ["Mul"])
        XCTAssertEqual(g.initializers["t"]?.floats, [8, 12])  // (1+3)·2, (2+4)·2
    }

    func testFrozenInputsAndRandomOpsAreNotFolded() throws {
        var g = graph()
        XCTAssertEqual(try ConstantFolding.apply(&g, kernels: ExecutorTestKernels.table, frozen: ["c3"]), 1)
        XCTAssertEqual(g.nodes.map(\.opType), ["Mul", "Mul"])

        var random = Graph(nodes: [Node(opType: "RandomNormal", inputs: [], outputs: ["r"])], initializers: [:],
                           inputs: [], outputs: [ValueInfo(name: "r", dtype: .float32, dims: nil)])
        var kernels = ExecutorTestKernels.table
        kernels["RandomNormal"] = { _, _ in [Tensor.scalar(0.5)] }
        XCTAssertEqual(try ConstantFolding.apply(&random, kernels: kernels), 0)
    }

    func testSessionRunsTheFoldedGraph() throws {
        var model = M.model([])
        model.graph = graph()
        let session = try M.session(model, sampleShape: [2])
        XCTAssertEqual(session.weights.keys.sorted(), ["t"])
        let y = try session.run(M.floats([1, 1, 2, 0], [2, 2])).output
        XCTAssertEqual(y, M.floats([8, 12, 16, 0], [2, 2]))
    }

    func testConstantNodesBecomeInitializers() throws {
        let model = M.model([
            Node(opType: "Constant", inputs: [], outputs: ["k"], attributes: ["value": .tensor(M.floats([3]))]),
            Node(opType: "Constant", inputs: [], outputs: ["j"], attributes: ["value_floats": .floats([1])]),
            Node(opType: "Add", inputs: ["k", "j"], outputs: ["kj"]),
            Node(opType: "Mul", inputs: ["x", "kj"], outputs: ["y"]),
        ])
        let session = try M.session(model, sampleShape: [1])
        XCTAssertEqual(session.weights["kj"]?.floats, [4])
        XCTAssertEqual(try session.run(M.floats([2], [1, 1])).output.floats, [8])
    }
}
