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
}
