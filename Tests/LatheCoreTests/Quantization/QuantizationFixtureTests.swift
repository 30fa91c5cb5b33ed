import Foundation
import XCTest
@testable import LatheCore

/// The quantization kernels against onnxruntime (Fixtures/quantization/quantization.json,
/// made by make_fixtures.py there) and against the ONNX project's own backend node tests
/// (onnx_node_tests.json, made by make_node_tests.py).
final class QuantizationFixtureTests: XCTestCase {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/quantization")
    }

    static func loadCases() throws -> [OpFixtureCase] {
        let data = try Data(contentsOf: directory.appendingPathComponent("quantization.json"))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = root["cases"] as? [[String: Any]] else { throw OpFixtures.FormatError(description: "no cases") }
        return try cases.map(OpFixtures.parseCase)
    }

    static let ops: Set<String> = ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger",
                                   "ConvInteger", "QLinearConv", "QLinearMatMul", "Round"]

    func testOnnxruntimeFixtures() throws {
        let cases = try Self.loadCases()
        XCTAssertGreaterThanOrEqual(cases.count, 95)
        XCTAssertEqual(Set(cases.map(\.node.opType)), Self.ops, "every quantization op is covered")
        for c in cases {
            guard let kernel = OpRegistry.kernel(c.node.opType) else {
                XCTFail("\(c.name): no kernel for \(c.node.opType)")
                continue
            }
            do {
                let outputs = try kernel(c.node, c.inputs)
                guard let expected = c.expected else {
                    XCTFail("\(c.name): expected an error, got \(outputs.map(\.shape))")
                    continue
                }
                XCTAssertEqual(outputs.count, expected.count, "\(c.name): output count")
                for (i, (got, want)) in zip(outputs, expected).enumerated() {
                    // Exact: integers must be equal, floats bit-for-bit up to float rounding of the JSON.
                    if let problem = OpFixtures.mismatch(got, want) { XCTFail("\(c.name) output \(i): \(problem)") }
                }
            } catch let error as LatheError {
                guard c.expected == nil else {
                    XCTFail("\(c.name): unexpected error \(error)")
                    continue
                }
                XCTAssertEqual(error.kind, .badInput, c.name)
                for word in [c.node.displayName] + c.errorMentions where !error.message.contains(word) {
                    XCTFail("\(c.name): error '\(error.message)' does not mention '\(word)'")
                }
            }
        }
    }

    /// The ONNX backend node tests for these ops, each graph run node by node on the registry's
    /// kernels. Cases whose tensors have types Lathe does not hold (float8, float4, 2-bit
    /// integers) fail for that reason and are listed here; every other case must pass.
    func testONNXBackendNodeTests() throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("onnx_node_tests.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        var passed: [String] = []
        var failed: [(String, String)] = []
        for c in cases {
            let name = c["name"] as? String ?? "?"
            if let problem = Self.runNodeTest(c) { failed.append((name, problem)) } else { passed.append(name) }
        }
        let unsupportedTypes = ["float8", "float4", "int2", "uint2", "FLOAT8", "FLOAT4", "INT2", "UINT2"]
        for (name, reason) in failed where !unsupportedTypes.contains(where: reason.contains) {
            XCTFail("\(name): \(reason)")
        }
        print("ONNX backend node tests (quantization ops): \(passed.count) of \(cases.count) pass; failing:")
        for (name, reason) in failed { print("  \(name): \(reason)") }
        XCTAssertEqual(cases.count, 45)
        XCTAssertEqual(passed.count, 33, "every case with types Lathe holds")
    }

    /// nil when the case passes, else why not.
    static func runNodeTest(_ c: [String: Any]) -> String? {
        guard let opset = (c["opset"] as? NSNumber)?.intValue, let nodes = c["nodes"] as? [[String: Any]],
              let inputs = c["inputs"] as? [String: Any], let expected = c["expected"] as? [String: Any],
              let initializers = c["initializers"] as? [String: Any] else { return "malformed case" }
        let rtol = (c["rtol"] as? NSNumber)?.floatValue ?? 1e-3
        let atol = (c["atol"] as? NSNumber)?.floatValue ?? 1e-7
        var values: [String: Tensor] = [:]
        for (name, raw) in inputs.merging(initializers, uniquingKeysWith: { a, _ in a }) {
            if let dtype = (raw as? [String: Any])?["dtype"] as? String, dtype.hasPrefix("unsupported:") {
                return "input '\(name)' has type \(dtype.dropFirst("unsupported:".count)), which Lathe does not hold"
            }
            do { values[name] = try OpFixtures.parseTensor(raw, in: name) } catch { return "\(error)" }
        }
        for raw in nodes {
            guard let op = raw["op"] as? String, let ins = raw["inputs"] as? [String],
                  let outs = raw["outputs"] as? [String] else { return "malformed node" }
            var attributes: [String: AttributeValue] = ["lathe.opset": .int(opset)]
            for (key, value) in raw["attributes"] as? [String: [String: Any]] ?? [:] {
                if let type = (value["value"] as? [String: Any])?["dtype"] as? String, type.hasPrefix("unsupported:") {
                    return "attribute \(key) has type \(type.dropFirst("unsupported:".count))"
                }
                do { attributes[key] = try OpFixtures.parseAttribute(value, in: op) } catch { return "\(error)" }
            }
            guard let kernel = OpRegistry.kernel(op) else { return "no kernel for \(op)" }
            let node = Node(name: op, opType: op, inputs: ins, outputs: outs, attributes: attributes)
            do {
                let results = try kernel(node, ins.map { $0.isEmpty ? nil : values[$0] })
                for (name, tensor) in zip(outs, results) where !name.isEmpty { values[name] = tensor }
            } catch {
                return "\(op): \(error)"
            }
        }
        for (name, raw) in expected {
            if let dtype = (raw as? [String: Any])?["dtype"] as? String, dtype.hasPrefix("unsupported:") {
                return "output '\(name)' has type \(dtype.dropFirst("unsupported:".count)), which Lathe does not hold"
            }
            guard let want = try? OpFixtures.parseTensor(raw, in: name) else { return "bad expected \(name)" }
            guard let got = values[name] else { return "output \(name) not computed" }
            guard got.dtype == want.dtype, got.shape == want.shape else {
                return "output \(name): \(got.dtype) \(got.shape) != \(want.dtype) \(want.shape)"
            }
            if want.isFloat {
                for (i, (g, w)) in zip(got.floats, want.floats).enumerated() where Swift.abs(g - w) > atol + rtol * Swift.abs(w) {
                    return "output \(name) element \(i): \(g) != \(w)"
                }
            } else if got.ints != want.ints {
                return "output \(name): \(got.ints) != \(want.ints)"
            }
        }
        return nil
    }
}
