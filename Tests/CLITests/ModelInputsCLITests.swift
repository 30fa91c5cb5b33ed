import Foundation
import LatheCore
import XCTest

/// `lathe eval` on the samples that need more than one batch-first input `x`:
/// several inputs by name (kws), a shared state (stateful), a fixed batch
/// (detector_b1) and a sequence-first output (crnn), with their messages.
final class ModelInputsCLITests: XCTestCase {
    /// Top-1 of onnxruntime's stored outputs against the data's labels.
    private func referenceTop1(_ name: String) throws -> Double {
        let labels = try XCTUnwrap(Dataset.load(path: Samples.absolute(Samples.path(name, "data.npz"))).labels)
        let reference = try NPYFormat.read(path: Samples.absolute(Samples.path(name, "reference.npy")))
        let predicted = Samples.argmax(reference)
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    func testSeveralInputsAndASharedStateEvaluateLikeOnnxruntime() throws {
        let scratch = try ScratchDirectory()
        for (name, samples) in [("kws", 480), ("stateful", 500)] {
            let out = scratch.path("\(name).npy")
            let run = try LatheBinary.run(["eval", Samples.path(name, "model.onnx"), "--data", Samples.path(name, "data.npz"),
                                           "--json", "--save-outputs", out])
            XCTAssertEqual(run.warnings, "", name)
            let json = try parseJSON(run)
            XCTAssertEqual(json["samples"] as? Int, samples, name)
            if name == "kws" {
                XCTAssertEqual(try XCTUnwrap(json["top1"] as? Double, name), try referenceTop1(name), accuracy: 1e-12)
            } else {
                // One speech probability per sample [N, 1]: no class axis, so SQNR against the uncompressed model.
                XCTAssertEqual((json["metric"] as? [String: Any])?["name"] as? String, "sqnr")
                XCTAssertTrue(json["top1"] is NSNull)
            }
            let saved = try NPYFormat.read(path: out)
            let reference = try NPYFormat.read(path: Samples.absolute(Samples.path(name, "reference.npy")))
            XCTAssertEqual(saved.shape, reference.shape, name)
            let worst = zip(saved.floats, reference.floats).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst, 1e-4, name)
        }
    }

    func testAMissingInputAndAnUnusedArrayAreReported() throws {
        let scratch = try ScratchDirectory()
        let kws = try Dataset.load(path: Samples.absolute(Samples.path("kws", "data.npz")))
        let x = try XCTUnwrap(kws.array(named: "x"))
        let xOnly = scratch.path("x_only.npz")
        try NPZFormat.write([(name: "x", tensor: x)], to: xOnly)
        assertBadInput(try LatheBinary.run(["eval", Samples.path("kws", "model.onnx"), "--data", xOnly]),
                       mentions: [xOnly, "model input 'h0' (float32 [N, 1, 32])", "Add an array 'h0'"])

        let stateful = try Dataset.load(path: Samples.absolute(Samples.path("stateful", "data.npz")))
        let extra = scratch.path("extra.npz")
        try NPZFormat.write(stateful.arrays.map { (name: $0.name, tensor: try $0.tensor) }
                            + [(name: "notes", tensor: Tensor(shape: [500], floats: [Float](repeating: 0, count: 500)))],
                            to: extra)
        let run = try LatheBinary.run(["eval", Samples.path("stateful", "model.onnx"), "--data", extra, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.warnings, "warning: \(extra): array 'notes' matches no model input (the model's inputs: x, "
            + "state); it is not used\n")
    }

    func testAFixedBatchRunsOnItsOwnAndALargerBatchIsRefused() throws {
        let model = Samples.path("detector_b1", "model.onnx")
        let data = Samples.path("detector_b1", "data.npz")
        let run = try LatheBinary.run(["eval", model, "--data", data, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.warnings, "warning: \(model): input 'image' [1, 3, 96, 96] fixes the batch at 1, so Lathe "
            + "runs batches of 1\n")
        XCTAssertEqual(try parseJSON(run)["samples"] as? Int, 150)
        assertBadInput(try LatheBinary.run(["eval", model, "--data", data, "--batch", "8"]),
                       mentions: [model, "--batch 8", "input 'image' [1, 3, 96, 96] fixes the batch at 1", "--batch 1"])
        // A batch within the fixed one is what the user asked for: no message.
        XCTAssertEqual(try LatheBinary.run(["eval", model, "--data", data, "--batch", "1", "--json"]).warnings, "")
    }

    func testASequenceFirstOutputKeepsItsLayoutAndAWrongAxisSaysWhichToPass() throws {
        let scratch = try ScratchDirectory()
        let crnn = try NPZFormat.read(path: Samples.absolute(Samples.path("crnn", "data.npz")))
        let x = try XCTUnwrap(crnn.first { $0.name == "x" }?.tensor)
        let data = scratch.path("crnn_x.npz")
        try NPZFormat.write([(name: "x", tensor: x)], to: data)
        let model = Samples.path("crnn", "model.onnx")
        let out = scratch.path("log_probs.npy")
        let json = try parseJSON(LatheBinary.run(["eval", model, "--data", data, "--json", "--save-outputs", out]))
        XCTAssertEqual(json["samples"] as? Int, 500)
        XCTAssertEqual(json["agreement"] as? Double, 1)
        let saved = try NPYFormat.read(path: out)
        let reference = try NPYFormat.read(path: Samples.absolute(Samples.path("crnn", "reference.npy")))
        XCTAssertEqual(saved.shape, [28, 500, 11])
        let worst = zip(saved.floats, reference.floats).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, 1e-4)
        assertBadInput(try LatheBinary.run(["eval", model, "--data", data, "--output-batch-axis", "0"]),
                       mentions: [model, "its axis 0 is not the batch", "pass --output-batch-axis 1"])
    }
}
