import XCTest
@testable import LatheCore

final class ShapeSpecialisationTests: XCTestCase {
    typealias M = ExecutorTestModels

    /// `x.view(x.size(0), -1)` as PyTorch exports it, after a ReLU.
    private func flattenModel() -> Model {
        M.model([
            Node(opType: "Relu", inputs: ["x"], outputs: ["r"]),
            Node(opType: "Shape", inputs: ["r"], outputs: ["shape"]),
            Node(opType: "Gather", inputs: ["shape", "zero"], outputs: ["n"], attributes: ["axis": .int(0)]),
            Node(opType: "Unsqueeze", inputs: ["n", "axes"], outputs: ["n1"]),
            Node(opType: "Concat", inputs: ["n1", "minusOne"], outputs: ["target"], attributes: ["axis": .int(0)]),
            Node(opType: "Reshape", inputs: ["r", "target"], outputs: ["y"]),
        ], initializers: ["zero": .scalar(int: 0), "axes": M.ints([0]), "minusOne": M.ints([-1])],
           dims: [.symbolic("batch"), .fixed(2), .fixed(3)])
    }

    func testShapeChainFoldsPerBatchSize() throws {
        for kernels in [ExecutorTestKernels.table, OpRegistry.kernels(opset: 17)] {
            try checkShapeChainFolds(try M.session(flattenModel(), sampleShape: [2, 3], kernels: kernels))
        }
    }

    private func checkShapeChainFolds(_ session: InferenceSession) throws {
        for batch in [5, 3] {
            let compiled = try session.compiled(batchSize: batch)
            XCTAssertEqual(compiled.steps.map(\.node.opType), ["Relu", "Reshape"], "batch \(batch)")
            let target = compiled.slotOfName["target"].flatMap { compiled.constants[$0] }
            XCTAssertEqual(target?.ints, [Int64(batch), -1], "batch \(batch)")
            XCTAssertEqual(compiled.shapes["r"], [batch, 2, 3])

            var rng = ExecutorSeededFloats(seed: UInt64(batch))
            let x = rng.tensor([batch, 2, 3])
            let y = try session.run(x).output
            XCTAssertEqual(y.shape, [batch, 6])
            XCTAssertEqual(y.floats, x.floats.map { max($0, 0) })
        }
    }

    func testUnknownShapesLeaveTheShapeSubgraphRunning() throws {
        // An op the inference does not know hides the shape: Shape must run, and still be right.
        var kernels = ExecutorTestKernels.table
        kernels["Mystery"] = ExecutorTestKernels.table["Relu"]
        var model = flattenModel()
        model.graph.nodes[0].opType = "Mystery"
        let session = try M.session(model, sampleShape: [2, 3], kernels: kernels)
        let compiled = try session.compiled(batchSize: 4)
        XCTAssertTrue(compiled.steps.contains { $0.node.opType == "Shape" })
        XCTAssertEqual(try session.run(Tensor.zeros([4, 2, 3])).output.shape, [4, 6])
    }

    func testShapeWithStartAndEnd() throws {
        let node = Node(opType: "Shape", inputs: ["x"], outputs: ["s"], attributes: ["start": .int(1), "end": .int(-1)])
        let graph = Graph(nodes: [node], initializers: [:], inputs: [ValueInfo(name: "x", dtype: .float32, dims: nil)],
                          outputs: [ValueInfo(name: "s", dtype: .int64, dims: nil)])
        let result = try ShapeSpecialisation.apply(graph, inputName: "x", inputShape: [7, 2, 3, 4], kernels: [:],
                                                   frozen: [])
        XCTAssertTrue(result.graph.nodes.isEmpty)
        XCTAssertEqual(result.graph.initializers["s"]?.ints, [2, 3])
    }
}

final class ShapeInferenceTests: XCTestCase {
    private func infer(_ op: String, _ shapes: [[Int]?], values: [Tensor?] = [], outputs: Int = 1,
                       attributes: [String: AttributeValue] = [:]) -> [[Int]?] {
        let inputs = shapes.indices.map { "i\($0)" }
        let node = Node(opType: op, inputs: inputs, outputs: (0..<outputs).map { "o\($0)" },
                        attributes: attributes)
        let padded = values + [Tensor?](repeating: nil, count: max(0, shapes.count - values.count))
        return ShapeInference.outputShapes(of: node, shapes: shapes, values: padded)
    }

    func testConvolutionAndPooling() {
        // 32 + 2·1 − 3 = 31, /2 → 15, +1 = 16
        XCTAssertEqual(infer("Conv", [[2, 3, 32, 32], [8, 3, 3, 3]],
                             attributes: ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]), [[2, 8, 16, 16]])
        XCTAssertEqual(infer("Conv", [[1, 4, 10, 10], [4, 1, 3, 3]],
                             attributes: ["group": .int(4), "auto_pad": .string("SAME_UPPER"), "strides": .ints([2, 2])]),
                       [[1, 4, 5, 5]])
        // ceil((7 − 2)/2) + 1 = 4 windows; the 4th starts at 6 < 7, so it stays.
        XCTAssertEqual(infer("MaxPool", [[1, 1, 7, 7]], outputs: 1,
                             attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "ceil_mode": .int(1)]),
                       [[1, 1, 4, 4]])
        XCTAssertEqual(infer("ConvTranspose", [[1, 4, 5, 5], [4, 3, 3, 3]],
                             attributes: ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]),
                                          "output_padding": .ints([1, 1])]), [[1, 3, 10, 10]])
        XCTAssertEqual(infer("GlobalAveragePool", [[2, 5, 7, 7]]), [[2, 5, 1, 1]])
    }

    func testShapeOps() {
        XCTAssertEqual(infer("Reshape", [[2, 3, 4], [3]], values: [nil, Tensor(shape: [3], ints: [0, -1, 2])]),
                       [[2, 6, 2]])
        XCTAssertEqual(infer("Flatten", [[2, 3, 4]]), [[2, 12]])
        XCTAssertEqual(infer("Transpose", [[2, 3, 4]], attributes: ["perm": .ints([2, 0, 1])]), [[4, 2, 3]])
        XCTAssertEqual(infer("Concat", [[2, 3], [2, 5]], attributes: ["axis": .int(-1)]), [[2, 8]])
        XCTAssertEqual(infer("Unsqueeze", [[2, 3], [2]], values: [nil, Tensor(shape: [2], ints: [0, -1])]),
                       [[1, 2, 3, 1]])
        XCTAssertEqual(infer("Squeeze", [[1, 2, 1, 3]]), [[2, 3]])
        XCTAssertEqual(infer("Gather", [[5, 4, 3], [2, 2]], attributes: ["axis": .int(1)]), [[5, 2, 2, 3]])
        XCTAssertEqual(infer("Slice", [[10, 8], [1], [1], [1], [1]],
                             values: [nil, Tensor(shape: [1], ints: [-1]), Tensor(shape: [1], ints: [Int64.min]),
                                      Tensor(shape: [1], ints: [0]), Tensor(shape: [1], ints: [-3])]),
                       [[4, 8]])  // indices 9, 6, 3, 0
        XCTAssertEqual(infer("ReduceMean", [[2, 3, 4]], attributes: ["axes": .ints([1]), "keepdims": .int(0)]),
                       [[2, 4]])
        XCTAssertEqual(infer("MatMul", [[7, 2, 3, 4], [4, 5]]), [[7, 2, 3, 5]])
        XCTAssertEqual(infer("Gemm", [[4, 3], [5, 3]], attributes: ["transB": .int(1)]), [[4, 5]])
        XCTAssertEqual(infer("Add", [[2, 1, 4], [3, 1]]), [[2, 3, 4]])
        XCTAssertEqual(infer("Split", [[6, 2]], outputs: 3), [[2, 2], [2, 2], [2, 2]])
        XCTAssertEqual(infer("Add", [[2, 3], [4]]), [nil])  // does not broadcast
        XCTAssertEqual(infer("Mystery", [[2]]), [nil])
    }
}
