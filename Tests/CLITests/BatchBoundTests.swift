import Foundation
import XCTest
@testable import LatheCore

/// A batch whose values would pass the activation budget runs as smaller, even batches
/// (`EngineCommandSupport.boundedByActivations`), says so, and scores exactly as those batches do.
final class BatchBoundTests: XCTestCase {
    /// Sixteen of the FPN detector's 512×512 images and their maps: about 7 MB of values a sample at the run's peak.
    private func sixteenImages(in scratch: ScratchDirectory) throws -> String {
        let source = try Dataset.load(path: Samples.absolute(Samples.path("fpn_detector", "data.npz")))
        let x = try XCTUnwrap(source.arrays.first { $0.name == "x" }).tensor
        let y = try XCTUnwrap(source.labelArray)
        let count = try XCTUnwrap(x.shape.first)
        let per = x.count / count, perLabel = y.count / count
        var values: [Int64] = [], labels: [Float] = []
        for k in 0..<16 {
            let image = k % count
            values += x.ints[(image * per)..<((image + 1) * per)].map { ($0 + Int64(k)) % 256 }
            labels += y.floats[(image * perLabel)..<((image + 1) * perLabel)]
        }
        let path = scratch.path("sixteen.npz")
        try NPZFormat.write([(name: "x", tensor: Tensor(shape: [16] + x.shape.dropFirst(), ints: values, dtype: .uint8)),
                             (name: "y", tensor: Tensor(shape: [16] + y.shape.dropFirst(), floats: labels))], to: path)
        return path
    }

    func testLargeActivationsRunInSmallerBatchesWithTheSameOutputs() throws {
        let scratch = try ScratchDirectory()
        let data = try sixteenImages(in: scratch)
        let model = Samples.path("fpn_detector", "model.onnx")
        let asked = try LatheBinary.run(["eval", model, "--data", data, "--batch", "16", "--json",
                                         "--save-outputs", scratch.path("asked.npy")])
        XCTAssertEqual(asked.status, 0, asked.stderr)
        let note = try XCTUnwrap(asked.stderr.split(separator: "\n").first { $0.contains("batches of") }, asked.stderr)
        let bound = try XCTUnwrap(note.split(separator: " ").drop { $0 != "of" }.dropFirst().first
            .flatMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) }, String(note))
        XCTAssertTrue(note.contains("not 16"), String(note))
        // Evened out: the sixteen images split into equal batches but the last.
        XCTAssertTrue((2...8).contains(bound), String(note))
        let batches = (16 + bound - 1) / bound
        XCTAssertEqual((16 + batches - 1) / batches, bound, "not evened out: \(note)")

        // The default batch is bounded the same way; a batch within the bound is run as asked.
        let byDefault = try LatheBinary.run(["eval", model, "--data", data, "--json"])
        XCTAssertTrue(byDefault.stderr.contains("batches of \(bound), not 16"), byDefault.stderr)
        let within = try LatheBinary.run(["eval", model, "--data", data, "--batch", String(bound), "--json",
                                          "--save-outputs", scratch.path("within.npy")])
        XCTAssertEqual(within.status, 0, within.stderr)
        XCTAssertFalse(within.stderr.contains("batches of"), within.stderr)
        XCTAssertEqual(try NPYFormat.read(path: scratch.path("asked.npy")),
                       try NPYFormat.read(path: scratch.path("within.npy")))
        let metric = { (run: LatheRun) in (try self.parseJSON(run)["metric"] as? [String: Any])?["value"] as? Double }
        let mse = try XCTUnwrap(try metric(asked))
        XCTAssertGreaterThan(mse, 0)
        XCTAssertEqual(mse, try metric(within))
    }

    /// A dynamically quantized model's samples share their batch's range, so a smaller batch would change its
    /// numbers: it runs the batch asked for, whatever its values take (about 17 MB a sample here), and a batch
    /// of one differs from it.
    func testDynamicallyQuantizedModelsRunTheBatchAsked() throws {
        let scratch = try ScratchDirectory()
        var state: UInt64 = 5
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let weights = (0..<(64 * 9)).map { _ in Int64(next() % 255) - 127 }
        let graph = Graph(
            nodes: [Node(opType: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["xq", "xs", "xz"]),
                    Node(opType: "ConvInteger", inputs: ["xq", "w", "xz"], outputs: ["c"],
                         attributes: ["pads": .ints([1, 1, 1, 1])]),
                    Node(opType: "Cast", inputs: ["c"], outputs: ["cf"], attributes: ["to": .int(1)]),
                    Node(opType: "Mul", inputs: ["cf", "xs"], outputs: ["y"])],
            initializers: ["w": Tensor(shape: [64, 1, 3, 3], ints: weights, dtype: .int8)],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("batch"), .fixed(1), .fixed(256), .fixed(256)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: nil)])
        let model = scratch.path("dynamic.onnx")
        try ONNXWriter.write(Model(graph: graph, opset: 13), to: model)
        // Each image with its own brightness, so the batch's range is not any one image's.
        var images: [Float] = []
        for k in 0..<16 {
            let brightness = Float(k + 1) / 1000
            for _ in 0..<(256 * 256) { images.append(Float(next() % 1000) * brightness) }
        }
        let data = scratch.path("images.npz")
        try NPZFormat.write([(name: "x", tensor: Tensor(shape: [16, 1, 256, 256], floats: images))], to: data)

        var outputs: [Tensor] = []
        for batch in ["16", "1"] {
            let run = try LatheBinary.run(["eval", model, "--data", data, "--batch", batch, "--metric", "sqnr",
                                           "--save-outputs", scratch.path("out\(batch).npy")])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertFalse(run.stderr.contains("batches of"), run.stderr)
            outputs.append(try NPYFormat.read(path: scratch.path("out\(batch).npy")))
        }
        XCTAssertNotEqual(outputs[0], outputs[1], "one range per batch of 16 against one per image")
    }
}
