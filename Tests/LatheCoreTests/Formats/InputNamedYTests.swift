import Foundation
import XCTest
@testable import LatheCore

/// A model whose input is named `y` (Fixtures/formats/onnx/input_named_y.onnx, made by
/// make_fixtures.py): the array `y` feeds it, and the labels come from the array `--labels` names.
final class InputNamedYTests: XCTestCase {
    let modelPath = FormatsFixtures.path("onnx/input_named_y.onnx")
    let dataPath = FormatsFixtures.path("npy/input_named_y.npz")

    func modelInputs() throws -> Set<String> {
        let model = try ONNXReader.read(path: modelPath)
        return Set(model.graph.inputs.map(\.name).filter { model.graph.initializers[$0] == nil })
    }

    func testWithoutAModelYIsTheLabels() throws {
        // The old reading, for models that have no input `y`: `y` is the labels array, not fed.
        let data = try Dataset.load(path: dataPath)
        XCTAssertEqual(data.arrays.map(\.name), ["labels"])
        XCTAssertEqual(data.labelArray?.shape, [40, 4])
    }

    func testAModelInputYIsFedAndTheSetHasNoLabels() throws {
        let inputs = try modelInputs()
        XCTAssertEqual(inputs, ["y"])
        XCTAssertTrue(LabelSource(requested: nil, modelInputs: inputs).feedsInput)
        let data = try Dataset.load(path: dataPath, modelInputs: inputs)
        XCTAssertEqual(data.arrays.map(\.name), ["y", "labels"])
        XCTAssertNil(data.labels)
        XCTAssertNil(data.labelArray)
    }

    /// `--labels labels`: `y` feeds the model, whose outputs equal onnxruntime's, and top-1 against
    /// `labels` is the 80% the fixture was made with (every fifth label is off by one class).
    func testNamedLabelsScoreTheModelFedFromY() throws {
        let inputs = try modelInputs()
        XCTAssertFalse(LabelSource(requested: "labels", modelInputs: inputs).feedsInput)
        let data = try Dataset.load(path: dataPath, labels: "labels", modelInputs: inputs)
        XCTAssertEqual(data.arrays.map(\.name), ["y"])
        let labels = try XCTUnwrap(data.labels)
        XCTAssertEqual(labels.count, 40)
        let session = try InferenceSession(model: ONNXReader.read(path: modelPath), data: data.layout)
        let evaluator = try PlanEvaluator(session: session, dataset: data,
                                          options: EvaluatorOptions(batchSize: 16, threads: 2, cacheCapacityBytes: 0))
        let outputs = try evaluator.outputs(of: .identity(layers: session.layers))
        let reference = try NPYFormat.read(path: FormatsFixtures.path("npy/input_named_y.reference.npy"))
        XCTAssertEqual(outputs.shape, reference.shape)
        let worst = zip(outputs.asFloats, reference.asFloats).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, 1e-6)
        let report = try evaluator.evaluate(.identity(layers: session.layers))
        XCTAssertEqual(report.scoring.metric, .top1)
        XCTAssertEqual(report.totals.labelHits, 32)
        XCTAssertEqual(try XCTUnwrap(report.totals.value(of: .top1)), 0.8, accuracy: 1e-12)
    }

    func testLabelsNamingAMissingArrayIsBadInput() throws {
        XCTAssertThrowsError(try Dataset.load(path: dataPath, labels: "classes", modelInputs: modelInputs())) { error in
            let error = error as? LatheError
            XCTAssertEqual(error?.kind, .badInput)
            XCTAssertTrue(error?.message.contains(self.dataPath) == true, "\(String(describing: error))")
            XCTAssertTrue(error?.message.contains("no array 'classes' for --labels") == true)
        }
    }
}
