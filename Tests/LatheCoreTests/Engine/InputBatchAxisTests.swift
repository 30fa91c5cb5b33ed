import XCTest
@testable import LatheCore

/// State inputs that take the samples on an inner axis (Silero VAD's `state`
/// [2, batch, 128] beside `input` [batch, 512]) and scalar inputs (its sample
/// rate `sr`): the data holds every per-sample array samples first, Lathe
/// moves them to the model's axis, and a scalar is one value for every batch.
final class InputBatchAxisTests: XCTestCase {
    private func input(_ name: String, _ dims: [LatheCore.Dimension], _ dtype: DType = .float32) -> ValueInfo {
        ValueInfo(name: name, dtype: dtype, dims: dims)
    }

    /// y[n, j] = x[n, j] + state[0, n, j] − state[1, n, j] + scale: each sample's state is its own.
    private func model(stateBatch: LatheCore.Dimension) -> Model {
        let nodes = [
            Node(opType: "Split", inputs: ["state"], outputs: ["s0", "s1"], attributes: ["axis": .int(0)]),
            Node(opType: "Squeeze", inputs: ["s0", "zero"], outputs: ["first"]),
            Node(opType: "Squeeze", inputs: ["s1", "zero"], outputs: ["second"]),
            Node(opType: "Add", inputs: ["x", "first"], outputs: ["sum"]),
            Node(opType: "Sub", inputs: ["sum", "second"], outputs: ["difference"]),
            Node(opType: "Add", inputs: ["difference", "scale"], outputs: ["y"]),
        ]
        let graph = Graph(nodes: nodes, initializers: ["zero": Tensor(shape: [1], ints: [0])],
                          inputs: [input("x", [.symbolic("batch"), .fixed(3)]),
                                   input("state", [.fixed(2), stateBatch, .fixed(3)]),
                                   input("scale", [])],
                          outputs: [ValueInfo(name: "y", dtype: .float32, dims: nil)])
        return Model(graph: graph, opset: 17, path: "state.onnx")
    }

    private func data(state: Tensor) -> Dataset {
        let x = Tensor(shape: [5, 3], floats: (0..<15).map { Float($0) })
        return Dataset(arrays: [DataArray(name: "x", tensor: x), DataArray(name: "state", tensor: state),
                                DataArray(name: "scale", tensor: .scalar(1000))], labels: nil, path: "state.npz")
    }

    /// Samples first: state[n] = [[n, n, n], [10n, 10n, 10n]].
    private var statesSamplesFirst: Tensor {
        Tensor(shape: [5, 2, 3], floats: (0..<5).flatMap { n in
            Array(repeating: Float(n), count: 3) + Array(repeating: Float(10 * n), count: 3)
        })
    }

    private var expected: Tensor {
        let values: [Float] = (0..<15).map { (index: Int) -> Float in
            let sample = Float(index / 3)
            return Float(index) + sample - 10 * sample + 1000
        }
        return Tensor(shape: [5, 3], floats: values)
    }

    func testStateTakesTheSamplesOnTheAxisNamedLikeTheBatch() throws {
        for batchDim in [LatheCore.Dimension.symbolic("batch"), .symbolic("")] {
            let data = data(state: statesSamplesFirst)
            let session = try InferenceSession(model: model(stateBatch: batchDim), data: data.layout)
            XCTAssertEqual(session.feeds.map(\.batchAxis), [0, 1, 0], "\(batchDim)")
            XCTAssertEqual(session.feeds.map(\.isShared), [false, false, true])
            XCTAssertEqual(session.feeds[1].shape(batchSize: 4), [2, 4, 3])
            for batchSize in [1, 2, 5] {
                let options = EvaluatorOptions(batchSize: batchSize, threads: 2, cacheCapacityBytes: 0)
                let y = try PlanEvaluator(session: session, dataset: data, options: options)
                    .outputs(of: .identity(layers: session.layers))
                XCTAssertEqual(y, expected, "\(batchDim), batch \(batchSize)")
            }
        }
    }

    func testStateInTheModelsLayoutIsRefusedSayingWhatToPass() {
        // [2, 5, 3]: the model's own layout, not samples first.
        let modelLayout = statesSamplesFirst.batchPlaced(at: 1)
        XCTAssertEqual(modelLayout.shape, [2, 5, 3])
        XCTAssertThrowsError(try InferenceSession(model: model(stateBatch: .symbolic("batch")),
                                                  data: data(state: modelLayout).layout)) { error in
            XCTAssertEqual((error as? LatheError)?.message, "state.npz: array 'state' has 2 rows but 'x' has 5 "
                + "samples; the data holds samples first, so give it as [5, 2, 3] (numpy: np.moveaxis(state, 1, 0)); "
                + "Lathe moves them to the model's axis 1")
        }
    }

    func testBatchPlacedIsTheInverseOfBatchFirst() {
        let t = Tensor(shape: [4, 2, 3], floats: (0..<24).map { Float($0) })
        for axis in 0..<3 {
            XCTAssertEqual(t.batchPlaced(at: axis).batchFirst(axis: axis), t, "axis \(axis)")
        }
        XCTAssertEqual(t.batchPlaced(at: 2).shape, [2, 3, 4])
        // Element (i, j, n) of the placed tensor is sample n's (i, j).
        XCTAssertEqual(t.batchPlaced(at: 2).floats[(1 * 3 + 2) * 4 + 3], t.floats[3 * 6 + 1 * 3 + 2])
    }
}
