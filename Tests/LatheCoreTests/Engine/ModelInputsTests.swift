import XCTest
@testable import LatheCore

/// Feeding models from named data arrays: several inputs matched by name, a
/// leading-1 array shared by every batch, the errors and warnings of binding,
/// a fixed batch, the output's batch axis and inputs of other dtypes.
final class ModelInputsTests: XCTestCase {
    private func model(_ nodes: [Node], inputs: [ValueInfo], output: ValueInfo = ValueInfo(name: "y", dtype: .float32, dims: nil),
                       initializers: [String: Tensor] = [:]) -> Model {
        Model(graph: Graph(nodes: nodes, initializers: initializers, inputs: inputs, outputs: [output]), opset: 17,
              path: "two.onnx")
    }

    private func input(_ name: String, _ dims: [LatheCore.Dimension], _ dtype: DType = .float32) -> ValueInfo {
        ValueInfo(name: name, dtype: dtype, dims: dims)
    }

    /// y = a - b: swapping the inputs changes every value.
    private var difference: Model {
        model([Node(opType: "Sub", inputs: ["a", "b"], outputs: ["y"])],
              inputs: [input("a", [.symbolic("N"), .fixed(2)]), input("b", [.symbolic("N"), .fixed(2)])])
    }

    private func outputs(_ session: InferenceSession, _ data: Dataset, batchSize: Int) throws -> Tensor {
        let options = EvaluatorOptions(batchSize: batchSize, threads: 2, cacheCapacityBytes: 0)
        return try PlanEvaluator(session: session, dataset: data, options: options)
            .outputs(of: .identity(layers: session.layers))
    }

    func testArraysAreMatchedToInputsByNameWhateverTheirOrder() throws {
        let a = Tensor(shape: [5, 2], floats: (0..<10).map { Float($0) * 10 })
        let b = Tensor(shape: [5, 2], floats: (0..<10).map { Float($0) })
        let data = Dataset(arrays: [DataArray(name: "b", tensor: b), DataArray(name: "a", tensor: a)], labels: nil,
                           path: "ab.npz")
        let session = try InferenceSession(model: difference, data: data.layout)
        XCTAssertEqual(session.feeds.map(\.source), ["a", "b"])
        XCTAssertEqual(session.notices, [])
        let y = try outputs(session, data, batchSize: 2)
        XCTAssertEqual(y, Tensor(shape: [5, 2], floats: (0..<10).map { Float($0) * 9 }))
    }

    func testALeadingOneArrayIsSharedByEveryBatch() throws {
        let a = Tensor(shape: [5, 2], floats: (0..<10).map { Float($0) })
        let state = Tensor(shape: [1, 2], floats: [100, 1000])
        let data = Dataset(arrays: [DataArray(name: "a", tensor: a), DataArray(name: "b", tensor: state)],
                           labels: nil, path: "shared.npz")
        let session = try InferenceSession(model: difference, data: data.layout)
        XCTAssertEqual(session.feeds.map(\.isShared), [false, true])
        XCTAssertEqual(session.feeds[1].shape, [1, 2])
        for batchSize in [1, 2, 5] {
            let y = try outputs(session, data, batchSize: batchSize)
            let expected = (0..<10).map { Float($0) - (($0 % 2 == 0) ? 100 : 1000) }
            XCTAssertEqual(y, Tensor(shape: [5, 2], floats: expected), "batch \(batchSize)")
        }
        // An array that is neither one row per sample nor shared is refused, naming both arrays.
        let odd = Dataset(arrays: [DataArray(name: "a", tensor: a), DataArray(name: "b", tensor: .zeros([3, 2]))],
                          labels: nil, path: "odd.npz")
        XCTAssertThrowsError(try InferenceSession(model: difference, data: odd.layout)) {
            XCTAssertEqual(($0 as? LatheError)?.message, "odd.npz: array 'b' has 3 rows but 'a' has 5 samples; an "
                + "array holds one row per sample, or a leading 1 to share one value with every batch")
        }
    }

    func testAMissingInputIsNamedWithItsDeclaredShapeAndDType() throws {
        let data = Dataset(arrays: [DataArray(name: "a", tensor: .zeros([4, 2])), DataArray(name: "x", tensor: .zeros([4, 2]))],
                           labels: nil, path: "only_a.npz")
        XCTAssertThrowsError(try InferenceSession(model: difference, data: data.layout)) { error in
            XCTAssertEqual((error as? LatheError)?.kind, .badInput)
            XCTAssertEqual((error as? LatheError)?.message, "only_a.npz: no array for model input 'b' (float32 [N, 2]): "
                + "the model's inputs a, b are fed from the arrays of those names, and the file holds a, x. Add an "
                + "array 'b' with one row per sample (or a leading 1 to share it with every batch)")
        }
    }

    func testAnArrayNoInputReadsIsReportedOnce() throws {
        let data = Dataset(arrays: [DataArray(name: "a", tensor: .zeros([4, 2])), DataArray(name: "b", tensor: .zeros([4, 2])),
                                    DataArray(name: "mask", tensor: .zeros([4, 2]))], labels: nil, path: "extra.npz")
        let session = try InferenceSession(model: difference, data: data.layout)
        XCTAssertEqual(session.notices, ["extra.npz: array 'mask' matches no model input (the model's inputs: a, b); "
            + "it is not used"])
        // A single-input model takes `x` (or the first array); the others are reported.
        let relu = model([Node(opType: "Relu", inputs: ["image"], outputs: ["y"])],
                         inputs: [input("image", [.symbolic("N"), .fixed(2)])])
        let single = try InferenceSession(model: relu, data: data.layout)
        XCTAssertEqual(single.feeds.map(\.source), ["a"])
        XCTAssertEqual(single.notices.count, 2)
        XCTAssertTrue(single.notices[0].contains("array 'b' matches no model input"), single.notices[0])
    }

    func testAFixedBatchIsKeptTo() throws {
        let relu = model([Node(opType: "Relu", inputs: ["image"], outputs: ["y"])],
                         inputs: [input("image", [.fixed(1), .fixed(3)])])
        let data = Dataset(inputs: Tensor(shape: [4, 3], floats: (0..<12).map { Float($0) - 6 }), labels: nil,
                           path: "images.npz")
        let session = try InferenceSession(model: relu, data: data.layout)
        XCTAssertEqual(session.fixedBatch, FixedBatch(size: 1, input: "image", dims: [.fixed(1), .fixed(3)]))
        XCTAssertEqual(session.fixedBatch?.description, "input 'image' [1, 3] fixes the batch at 1")
        let evaluator = try PlanEvaluator(session: session, dataset: data, options: EvaluatorOptions(batchSize: 64))
        XCTAssertEqual(evaluator.schedule.batchSize, 1)
        XCTAssertEqual(try evaluator.outputs(of: .identity(layers: [])).floats, (0..<12).map { max(0, Float($0) - 6) })
    }

    /// A graph that hard-codes its batch of 4 runs only at 4: the last, short batch is filled up
    /// with copies of its last sample, whose outputs are dropped.
    func testAShortBatchIsFilledUpToTheFixedBatch() throws {
        let reshaped = model([
            Node(opType: "Reshape", inputs: ["image", "shape"], outputs: ["r"]),
            Node(opType: "Relu", inputs: ["r"], outputs: ["y"]),
        ], inputs: [input("image", [.fixed(4), .fixed(3)])], initializers: ["shape": Tensor(shape: [2], ints: [4, 3])])
        let values = (0..<18).map { Float($0) - 9 }
        let data = Dataset(inputs: Tensor(shape: [6, 3], floats: values), labels: nil, path: "six.npz")
        let session = try InferenceSession(model: reshaped, data: data.layout)
        XCTAssertThrowsError(try session.run(Tensor.zeros([2, 3])), "the graph itself refuses a batch of 2")
        for batchSize in [4, 3] {
            let evaluator = try PlanEvaluator(session: session, dataset: data,
                                              options: EvaluatorOptions(batchSize: batchSize, threads: 2))
            XCTAssertEqual(try evaluator.outputs(of: .identity(layers: [])).floats, values.map { max(0, $0) })
            XCTAssertEqual(try evaluator.evaluate(.identity(layers: [])).outputs.shape, [6, 3])
        }
    }

    /// [N, T, C] → [T, N, C], as recurrent models emit.
    private var sequenceFirst: Model {
        model([Node(opType: "Transpose", inputs: ["x"], outputs: ["y"], attributes: ["perm": .ints([1, 0, 2])])],
              inputs: [input("x", [.symbolic("N"), .fixed(3), .fixed(2)])],
              output: ValueInfo(name: "y", dtype: .float32, dims: [.fixed(3), .symbolic("N"), .fixed(2)]))
    }

    func testTheOutputsBatchAxisIsFoundAndUsed() throws {
        let x = Tensor(shape: [5, 3, 2], floats: (0..<30).map { Float($0) })
        let data = Dataset(inputs: x, labels: nil, path: "seq.npz")
        let session = try InferenceSession(model: sequenceFirst, data: data.layout)
        XCTAssertEqual(session.outputBatchAxis, 1)
        // Assembled in the model's layout, [T, N, C], each sample in its dataset place.
        let y = try outputs(session, data, batchSize: 2)
        XCTAssertEqual(y.shape, [3, 5, 2])
        XCTAssertEqual(y, try session.run(x).output)
        // Scoring sees samples first: agreement of the model with itself is 1.
        let evaluation = try PlanEvaluator(session: session, dataset: data,
                                           options: EvaluatorOptions(batchSize: 2, threads: 1))
            .evaluate(.identity(layers: []))
        XCTAssertEqual(evaluation.totals.samples, 5)
        XCTAssertEqual(evaluation.scoring.classAxis, 2)
        XCTAssertEqual(evaluation.scoring.classes, 2)
        XCTAssertEqual(evaluation.totals.positions, 15)
        XCTAssertEqual(evaluation.totals.value(of: .agree), 1)
    }

    func testAGivenBatchAxisOverridesAndAWrongOneSaysWhatToPass() throws {
        let data = Dataset(inputs: Tensor(shape: [5, 3, 2], floats: (0..<30).map { Float($0) }), labels: nil, path: "seq.npz")
        let wrong = try InferenceSession(model: sequenceFirst, data: data.layout, outputBatchAxis: 0)
        XCTAssertEqual(wrong.outputBatchAxis, 0)
        // Scoring probes the output with one sample before any batch runs.
        XCTAssertThrowsError(try outputs(wrong, data, batchSize: 4)) {
            XCTAssertEqual(($0 as? LatheError)?.message, "two.onnx: output 'y' has shape [3, 1, 2] for a batch of 1: "
                + "its axis 0 is not the batch; pass --output-batch-axis 1")
        }
        XCTAssertThrowsError(try InferenceSession(model: sequenceFirst, data: data.layout, outputBatchAxis: 3)) {
            XCTAssertEqual(($0 as? LatheError)?.message, "two.onnx: --output-batch-axis 3 is not an axis of output 'y' "
                + "(rank 3: 0 to 2)")
        }
    }

    func testInt64InputsStayExact() throws {
        let doubled = model([Node(opType: "Add", inputs: ["ids", "ids"], outputs: ["y"])],
                            inputs: [input("ids", [.symbolic("N"), .fixed(2)], .int64)],
                            output: ValueInfo(name: "y", dtype: .int64, dims: nil))
        let big: Int64 = (1 << 40) + 1  // not a float32: a float round trip would change it
        let data = Dataset(inputs: Tensor(shape: [3, 2], ints: [big, 1, 2, 3, 4, -big]), labels: nil, path: "ids.npz")
        let session = try InferenceSession(model: doubled, data: data.layout)
        XCTAssertEqual(try outputs(session, data, batchSize: 2), Tensor(shape: [3, 2], ints: [2 * big, 2, 4, 6, 8, -2 * big]))
        // Integral floats are accepted; a fraction is not an id.
        let floats = Dataset(inputs: Tensor(shape: [1, 2], floats: [7, 8]), labels: nil, path: "f.npz")
        XCTAssertEqual(try outputs(session, floats, batchSize: 1).ints, [14, 16])
        let fraction = Dataset(inputs: Tensor(shape: [1, 2], floats: [7, 0.5]), labels: nil, path: "half.npz")
        XCTAssertThrowsError(try outputs(session, fraction, batchSize: 1)) {
            XCTAssertEqual(($0 as? LatheError)?.message, "half.npz: model input 'ids' is int64, but array 'x' holds 0.5 "
                + "(element 1), not an integer")
        }
    }

    func testBoolAndFloat16InputsGetTheirDTypes() throws {
        let masked = model([
            Node(opType: "Cast", inputs: ["mask"], outputs: ["m"], attributes: ["to": .int(1)]),
            Node(opType: "Cast", inputs: ["h"], outputs: ["hf"], attributes: ["to": .int(1)]),
            Node(opType: "Mul", inputs: ["m", "hf"], outputs: ["y"]),
        ], inputs: [input("mask", [.symbolic("N"), .fixed(2)], .bool), input("h", [.symbolic("N"), .fixed(2)], .float16)])
        let third: Float = 1.0 / 3.0
        let data = Dataset(arrays: [
            DataArray(name: "mask", tensor: Tensor(shape: [2, 2], ints: [1, 0, 0, 1], dtype: .bool)),
            DataArray(name: "h", tensor: Tensor(shape: [2, 2], floats: [third, 2, 3, third])),
        ], labels: nil, path: "masked.npz")
        let session = try InferenceSession(model: masked, data: data.layout)
        let half = HalfPrecision.roundedToFloat16(third)
        XCTAssertNotEqual(half, third)
        XCTAssertEqual(try outputs(session, data, batchSize: 2).floats, [half, 0, 0, half])
        // Numbers that are all 0 or 1 make a mask; others do not.
        var counts = data
        counts.arrays[0] = DataArray(name: counts.arrays[0].name, tensor: Tensor(shape: [2, 2], ints: [1, 0, 2, 1],
                                                                                 dtype: .int64))
        XCTAssertThrowsError(try outputs(session, counts, batchSize: 2)) {
            XCTAssertEqual(($0 as? LatheError)?.message, "masked.npz: model input 'mask' is bool, but array 'mask' "
                + "holds 2 (element 2), not 0 or 1")
        }
    }
}
