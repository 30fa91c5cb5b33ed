import Foundation
import LatheCore
import XCTest

/// `lathe eval` on the bundled samples, checked against onnxruntime's outputs
/// (samples/<name>/reference.npy) and the labels in the data.
final class EvalTests: XCTestCase {
    static let samples = ["lenet5", "mobilenet", "digits_mlp"]

    func testJSONReportMatchesReferenceOnEverySample() throws {
        for name in Self.samples {
            let model = Samples.path(name, "model.onnx")
            let data = Samples.path(name, "data.npz")
            let json = try parseJSON(LatheBinary.run(["eval", model, "--data", data, "--json"]))
            for key in ["model", "data", "output", "samples", "classes", "top1", "top5", "macro_f1", "agreement",
                        "size_bytes", "baseline_size_bytes", "compression_ratio", "seconds"] {
                XCTAssertNotNil(json[key], "\(name): missing \(key)")
            }
            let dataset = try Dataset.load(path: Samples.absolute(data))
            let labels = try XCTUnwrap(dataset.labels, "\(name) data has labels")
            let reference = try NPYFormat.read(path: Samples.absolute(Samples.path(name, "reference.npy")))
            let predicted = Samples.argmax(reference)
            let expectedTop1 = Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)

            XCTAssertEqual(json["model"] as? String, model)
            XCTAssertEqual(json["data"] as? String, data)
            XCTAssertEqual(json["samples"] as? Int, dataset.count, name)
            XCTAssertEqual(json["classes"] as? Int, reference.count / dataset.count, name)
            XCTAssertEqual(try XCTUnwrap(json["top1"] as? Double, name), expectedTop1, accuracy: 1e-12, name)
            XCTAssertEqual(json["agreement"] as? Double, 1.0, name)
            let top5 = try XCTUnwrap(json["top5"] as? Double, name)
            XCTAssertGreaterThanOrEqual(top5, expectedTop1, name)
            let f1 = try XCTUnwrap(json["macro_f1"] as? Double, name)
            XCTAssertTrue((0...1).contains(f1), name)
            let size = try XCTUnwrap(json["size_bytes"] as? Int, name)
            let fileSize = try XCTUnwrap(
                FileManager.default.attributesOfItem(
                    atPath: URL(fileURLWithPath: Samples.absolute(model)).resolvingSymlinksInPath().path)[.size] as? Int)
            XCTAssertEqual(json["baseline_size_bytes"] as? Int, size, name)
            XCTAssertGreaterThan(size, 0, name)
            XCTAssertLessThanOrEqual(size, fileSize, "\(name): weights cannot outweigh the file holding them")
            XCTAssertEqual(json["compression_ratio"] as? Double, 1.0, name)
            XCTAssertGreaterThan(try XCTUnwrap(json["seconds"] as? Double, name), 0, name)
        }
    }

    func testSavedOutputsMatchOnnxruntime() throws {
        let scratch = try ScratchDirectory()
        for name in ["lenet5", "digits_mlp"] {
            let out = scratch.path("\(name).npy")
            let run = try LatheBinary.run(["eval", Samples.path(name, "model.onnx"), "--data",
                                           Samples.path(name, "data.npz"), "--save-outputs", out,
                                           "--batch", "7", "--threads", "2"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let saved = try NPYFormat.read(path: out)
            let reference = try NPYFormat.read(path: Samples.absolute(Samples.path(name, "reference.npy")))
            XCTAssertEqual(saved.shape, reference.shape, name)
            let worst = zip(saved.floats, reference.floats).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst, 1e-4, name)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path)
                .filter { $0.hasPrefix(".") }
            XCTAssertEqual(leftovers, [], "temporary files left behind")
        }
    }

    func testHumanReadableTable() throws {
        let model = Samples.path("lenet5", "model.onnx")
        let data = Samples.path("lenet5", "data.npz")
        let json = try parseJSON(LatheBinary.run(["eval", model, "--data", data, "--json"]))
        let run = try LatheBinary.run(["eval", model, "--data", data])
        XCTAssertEqual(run.status, 0, run.stderr)
        let top1 = try XCTUnwrap(json["top1"] as? Double)
        let line = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.hasPrefix("top-1") })
        XCTAssertTrue(line.hasSuffix(String(format: "%.1f%%", top1 * 100)), String(line))
        for label in ["model", "data", "output", "top-5", "macro F1", "agreement", "size", "time"] {
            XCTAssertTrue(run.stdout.contains(label), "missing \(label): \(run.stdout)")
        }
        XCTAssertEqual(run.stderr, "metric: top1 (integer labels y [N] match the positions of output [N, 10])\n",
                       "the metric chosen, and no progress bar when stderr is not a terminal")
        let metric = try XCTUnwrap(json["metric"] as? [String: Any])
        XCTAssertEqual(metric["name"] as? String, "top1")
        XCTAssertEqual(metric["value"] as? Double, top1)
        XCTAssertTrue(run.stdout.contains("metric     top-1"), run.stdout)
    }

    func testOutputFlagPicksTheScoredOutput() throws {
        // samples/exports/sklearn_mlp.*: skl2onnx's MLPClassifier, whose first output `label`
        // comes from ai.onnx.ml ops; scoring `probabilities` never runs them.
        let model = "samples/exports/sklearn_mlp.onnx"
        let data = "samples/exports/sklearn_mlp.npz"
        let json = try parseJSON(LatheBinary.run(["eval", model, "--data", data, "--output", "probabilities", "--json"]))
        XCTAssertEqual(json["output"] as? String, "probabilities")
        let dataset = try Dataset.load(path: Samples.absolute(data))
        let labels = try XCTUnwrap(dataset.labels)
        let reference = try NPYFormat.read(path: Samples.absolute("samples/exports/sklearn_mlp.reference.npy"))
        let expected = Double(zip(Samples.argmax(reference), labels).filter { $0 == $1 }.count) / Double(labels.count)
        XCTAssertEqual(try XCTUnwrap(json["top1"] as? Double), expected, accuracy: 1e-12)

        let unknown = try LatheBinary.run(["eval", model, "--data", data, "--output", "no_such_output"])
        assertBadInput(unknown, mentions: [model, "no_such_output"])
        // `label` needs an ai.onnx.ml op: a clear refusal naming the model and the op, not a crash.
        let label = try LatheBinary.run(["eval", model, "--data", data, "--output", "label"])
        assertBadInput(label, mentions: [model, "ArrayFeatureExtractor"])
    }

    func testSaveOutputsRefusesToOverwriteInputs() throws {
        let scratch = try ScratchDirectory()
        let model = try scratch.write("model.onnx", Data(contentsOf: URL(fileURLWithPath:
            Samples.absolute(Samples.path("lenet5", "model.onnx")))))
        let before = try Data(contentsOf: URL(fileURLWithPath: model))
        let data = Samples.path("lenet5", "data.npz")
        assertBadInput(try LatheBinary.run(["eval", model, "--data", data, "--save-outputs", model]),
                       mentions: [model])
        assertBadInput(try LatheBinary.run(["eval", model, "--data", data, "--save-outputs", data]),
                       mentions: [data])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model)), before)
        assertBadInput(try LatheBinary.run(["eval", model, "--data", data, "--save-outputs",
                                            scratch.path("missing/dir/out.npy")]),
                       mentions: ["missing/dir"])
    }
}
