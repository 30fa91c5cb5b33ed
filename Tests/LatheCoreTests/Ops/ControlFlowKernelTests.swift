import Foundation
import XCTest
@testable import LatheCore

/// If, Loop and Scan against onnxruntime (control_flow.json, written by
/// Fixtures/kernels/make_control_flow_fixtures.py): 23 cases of its own and
/// the ONNX backend node tests of these ops on tensors. Each case is a small
/// model: read with the ONNX reader, its subgraphs' outer-scope reads made
/// explicit as the loader does, then run with the op table.
final class ControlFlowKernelTests: XCTestCase {
    struct Case: Decodable {
        struct TensorJSON: Decodable {
            let shape: [Int]
            let dtype: String
            let data: [Double]

            var tensor: Tensor {
                switch dtype {
                case "float32": return Tensor(shape: shape, floats: data.map { Float($0) })
                case "bool": return Tensor(shape: shape, ints: data.map { Int64($0) }, dtype: .bool)
                default: return Tensor(shape: shape, ints: data.map { Int64($0) })
                }
            }
        }

        let name: String
        let op: String
        let opset: Int
        let ops: [String]
        let model: String
        let inputs: [TensorJSON]
        let outputNames: [String]
        let outputs: [TensorJSON]

        static func load() throws -> [Case] {
            struct File: Decodable { let cases: [Case] }
            let url = KernelFixture.fixturesDirectory.appendingPathComponent("control_flow.json")
            return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
        }

        /// The case's graph, closed as the loader closes it.
        func graph() throws -> Graph {
            guard let bytes = Data(base64Encoded: model) else { throw LatheError.badInput("\(name): bad base64") }
            let proto = try ONNXReader.parse(bytes, path: name)
            var graph = try ONNXModelDecoder(path: name).model(from: proto).graph
            SubgraphCaptures.apply(&graph)
            return graph
        }
    }

    /// Runs a whole (closed) graph on its inputs with the registry's kernels for `opset`.
    static func run(_ graph: Graph, _ inputs: [Tensor], opset: Int) throws -> [Tensor] {
        let owner = Node(name: "fixture", opType: "Graph", inputs: [], outputs: [])
        let program = try SubgraphProgram(graph, owner: owner, attribute: "graph",
                                          kernels: OpRegistry.kernels(opset: opset))
        return try program.run(inputs)
    }

    func testAgainstOnnxruntime() throws {
        let cases = try Case.load()
        XCTAssertGreaterThanOrEqual(cases.count, 30)
        XCTAssertEqual(cases.filter { $0.name.hasPrefix("onnx_test_") }.count, 7)
        var passed = 0
        for fixture in cases {
            let outputs: [Tensor]
            do {
                outputs = try Self.run(try fixture.graph(), fixture.inputs.map(\.tensor), opset: fixture.opset)
            } catch {
                XCTFail("\(fixture.name): threw \(error)")
                continue
            }
            XCTAssertEqual(outputs.count, fixture.outputs.count, "\(fixture.name): output count")
            let failures = testRun.map { $0.failureCount } ?? 0
            for (index, (got, want)) in zip(outputs, fixture.outputs).enumerated() {
                let expected = want.tensor
                XCTAssertEqual(got.dtype, expected.dtype, "\(fixture.name) \(fixture.outputNames[index]): dtype")
                if expected.isFloat {
                    assertClose(got, expected, "\(fixture.name) \(fixture.outputNames[index])")
                } else {
                    XCTAssertEqual(got.shape, expected.shape, "\(fixture.name) \(fixture.outputNames[index])")
                    XCTAssertEqual(got.ints, expected.ints, "\(fixture.name) \(fixture.outputNames[index])")
                }
            }
            if (testRun.map { $0.failureCount } ?? 0) == failures { passed += 1 }
        }
        print("control_flow.json: \(passed)/\(cases.count) cases match onnxruntime")
    }

    /// The decoding cases stop at the end token after different numbers of steps, some before the
    /// trip count: a loop ignoring its condition, or stopping one step late or early, fails them.
    func testDecodingCasesStopAtDifferentSteps() throws {
        let cases = try Case.load()
        XCTAssertEqual(Set(cases.map(\.op)), ["If", "Loop", "Scan"])
        let lengths = cases.filter { $0.name.hasPrefix("greedy_decoding") }.map { $0.outputs[2].shape[0] }
        XCTAssertGreaterThan(Set(lengths).count, 2, "decoding lengths \(lengths)")
        XCTAssertTrue(lengths.contains { $0 < 12 }, "decoding lengths \(lengths)")
    }
}
