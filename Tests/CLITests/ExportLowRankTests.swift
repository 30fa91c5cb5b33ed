import Foundation
import LatheCore
import XCTest

/// `lathe export` stores a low-rank layer as its two factors (int8/int4 codes behind DequantizeLinear,
/// float32, fp16 + Cast), the weight rebuilt by MatMul in the graph, in fewer bytes than the product, and
/// the file scores as `lathe eval --config` does (within one sample: onnxruntime and Lathe's engine
/// multiply the factors in float32, Lathe's Compressor in float64).
final class ExportLowRankTests: XCTestCase {
    private struct Case {
        var sample: String
        var layers: [String: String]
    }

    func testLowRankLayersAreStoredAsTwoFactors() throws {
        let cases = [
            // Gemm (transB): channels first, the product only reshaped.
            Case(sample: "lenet5", layers: ["fc1.weight": "{rank: 0.25, bits: 8}", "fc2.weight": "{rank: 0.25, bits: 32}",
                                            "fc3.weight": "{rank: 0.5, bits: fp16}"]),
            // MatMul [in, out]: the product transposed into place; 4-bit asymmetric per-tensor factors.
            Case(sample: "digits_mlp", layers: ["fc1.weight": "{rank: 0.25, bits: 4, scheme: asymmetric, granularity: per-tensor}",
                                                "fc2.weight": "{rank: 0.25, bits: 8}"]),
            // A 1×1 Conv: the product reshaped to [out, in, 1, 1].
            Case(sample: "mobilenet", layers: ["blocks.3.pointwise.weight": "{rank: 0.25, bits: 8}"]),
        ]
        let scratch = try ScratchDirectory()
        for item in cases {
            let model = Samples.path(item.sample, "model.onnx"), data = Samples.path(item.sample, "data.npz")
            let text = "version: 1\ndefaults: {bits: 8}\nlayers:\n"
                + item.layers.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)\n" }.joined()
            let cfg = try scratch.write("\(item.sample).yaml", Data(text.utf8))
            let out = scratch.path("\(item.sample)-lowrank.onnx")
            let export = try LatheBinary.run(["export", model, "--config", cfg, "--data", data, "--out", out, "--json"])
            XCTAssertEqual(export.status, 0, export.stderr)
            XCTAssertFalse(export.stderr.contains("low-rank product"), export.stderr)
            let report = try parseJSON(export)
            let storage = try XCTUnwrap(report["layers"] as? [String: String])
            let metric = try XCTUnwrap(report["metric"] as? [String: Any])
            let samples = try XCTUnwrap(metric["samples"] as? Int)
            let configured = try XCTUnwrap(metric["configuration"] as? Double)
            let exported = try XCTUnwrap(metric["export"] as? Double)
            XCTAssertLessThanOrEqual(abs(exported - configured) * Double(samples), 1 + 1e-9, item.sample)
            // The configuration's own evaluation is what the export compared with.
            let evaluated = try parseJSON(LatheBinary.run(["eval", model, "--data", data, "--config", cfg, "--json"]))
            XCTAssertEqual((evaluated["metric"] as? [String: Any])?["value"] as? Double, configured, item.sample)

            let written = try ONNXReader.read(path: out)
            let original = try ONNXReader.read(path: Samples.absolute(model))
            for name in item.layers.keys {
                XCTAssertTrue(storage[name]?.hasPrefix("rank ") == true, "\(name): \(storage[name] ?? "-")")
                let product = written.graph.nodes.first {
                    $0.opType == "MatMul" && $0.inputs == [name + "_lowrank_a", name + "_lowrank_b"]
                }
                XCTAssertNotNil(product, "\(item.sample) \(name): no MatMul of its two factors")
                XCTAssertNil(written.graph.initializers[name], "\(name): the product is not stored")
                let factorBytes = written.graph.initializers
                    .filter { $0.key.hasPrefix(name + "_lowrank_") && !$0.key.hasSuffix("_shape") }
                    .values.reduce(0) { $0 + $1.storedBytes }
                let weight = try XCTUnwrap(original.graph.initializers[name])
                XCTAssertGreaterThan(factorBytes, 0, name)
                XCTAssertLessThan(factorBytes, 4 * weight.count, "\(name): factors vs the float32 product")
            }
        }
    }
}
