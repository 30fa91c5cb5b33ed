import Foundation
import XCTest
@testable import LatheCore

/// LSTM, GRU and RNN against onnxruntime (recurrent.json) and against the
/// ONNX project's own backend node tests (recurrent_node_tests.json), both
/// written by Fixtures/kernels/make_recurrent_fixtures.py.
final class RecurrentKernelTests: XCTestCase {
    struct Fixture: Decodable {
        struct Attribute: Decodable {
            let type: String
            let value: Value
        }

        enum Value: Decodable {
            case number(Double)
            case string(String)
            case numbers([Double])
            case strings([String])

            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let v = try? container.decode(Double.self) { self = .number(v) }
                else if let v = try? container.decode(String.self) { self = .string(v) }
                else if let v = try? container.decode([Double].self) { self = .numbers(v) }
                else { self = .strings(try container.decode([String].self)) }
            }
        }

        let name: String
        let skip: String?
        let op: String?
        let opset: Int?
        let attributes: [String: Attribute]?
        let inputs: [KernelFixture.TensorJSON?]?
        let outputNames: [String]?
        let outputs: [KernelFixture.TensorJSON?]?

        var node: Node {
            var attrs: [String: AttributeValue] = ["lathe.opset": .int(opset ?? 22)]
            for (key, attribute) in attributes ?? [:] {
                switch (attribute.type, attribute.value) {
                case ("int", .number(let v)): attrs[key] = .int(Int(v))
                case ("float", .number(let v)): attrs[key] = .float(Float(v))
                case ("string", .string(let s)): attrs[key] = .string(s)
                case ("ints", .numbers(let v)): attrs[key] = .ints(v.map { Int($0) })
                case ("floats", .numbers(let v)): attrs[key] = .floats(v.map { Float($0) })
                case ("strings", .strings(let v)): attrs[key] = .strings(v)
                default: break
                }
            }
            let inputNames = (inputs ?? []).enumerated().map { $0.element == nil ? "" : "in\($0.offset)" }
            return Node(name: name, opType: op ?? "", inputs: inputNames, outputs: outputNames ?? [], attributes: attrs)
        }

        static func load(_ file: String) throws -> [Fixture] {
            struct File: Decodable { let cases: [Fixture] }
            let url = KernelFixture.fixturesDirectory.appendingPathComponent(file)
            return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
        }
    }

    /// Runs every case; returns (passed, failures with reasons).
    func run(_ cases: [Fixture]) -> (passed: Int, failures: [String]) {
        var passed = 0
        var failures: [String] = []
        for fixture in cases {
            if let skip = fixture.skip { failures.append("\(fixture.name): skipped (\(skip))"); continue }
            guard let op = fixture.op, let kernel = OpRegistry.kernel(op) else {
                failures.append("\(fixture.name): no kernel for \(fixture.op ?? "?")")
                continue
            }
            let outputs: [Tensor]
            do {
                outputs = try kernel(fixture.node, (fixture.inputs ?? []).map { $0?.tensor })
            } catch {
                failures.append("\(fixture.name): threw \(error)")
                continue
            }
            var problems: [String] = []
            for (index, want) in (fixture.outputs ?? []).enumerated() {
                guard let want else { continue }
                guard index < outputs.count else { problems.append("output \(index) missing"); continue }
                if let problem = Self.difference(outputs[index], want.tensor) {
                    problems.append("output \(fixture.outputNames?[index] ?? "\(index)"): \(problem)")
                }
            }
            if problems.isEmpty { passed += 1 } else { failures.append("\(fixture.name): " + problems.joined(separator: "; ")) }
        }
        return (passed, failures)
    }

    /// nil when |got − want| ≤ 1e-4·max(1, |want|) everywhere and the shapes agree.
    static func difference(_ got: Tensor, _ want: Tensor) -> String? {
        guard got.shape == want.shape else { return "shape \(got.shape), expected \(want.shape)" }
        for i in 0..<want.count {
            let a = got.floats[i], b = want.floats[i]
            if !(abs(a - b) <= 1e-4 * max(1, abs(b))) { return "element \(i) is \(a), expected \(b)" }
        }
        return nil
    }

    func testAgainstOnnxruntime() throws {
        let cases = try Fixture.load("recurrent.json")
        XCTAssertGreaterThanOrEqual(cases.count, 60)
        let (passed, failures) = run(cases)
        XCTAssertEqual(passed, cases.count, failures.joined(separator: "\n"))
        print("recurrent.json: \(passed)/\(cases.count) cases match onnxruntime")
    }

    func testOnnxBackendNodeTests() throws {
        let cases = try Fixture.load("recurrent_node_tests.json")
        XCTAssertGreaterThanOrEqual(cases.count, 18)
        let (passed, failures) = run(cases)
        XCTAssertEqual(passed, cases.count, failures.joined(separator: "\n"))
        print("ONNX backend node tests (lstm/gru/rnn): \(passed)/\(cases.count) pass")
    }

    /// The two directions of a bidirectional layer run concurrently when the op may split (a batch alone on two
    /// cores): the same bits as one after the other, for each op.
    func testConcurrentDirectionsGiveTheSameBits() throws {
        var random = SplitMix64(seed: 7)
        func tensor(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in
                Float(Double(random.next() % 2001) / 1000 - 1) * 0.3
            })
        }
        let (steps, batch, inputSize, hidden) = (24, 2, 16, 128)
        for (op, gates) in [("LSTM", 4), ("GRU", 3), ("RNN", 1)] {
            let inputs: [Tensor?] = [tensor([steps, batch, inputSize]), tensor([2, gates * hidden, inputSize]),
                                     tensor([2, gates * hidden, hidden]), tensor([2, 2 * gates * hidden])]
            let node = Node(name: "rec", opType: op, inputs: ["x", "w", "r", "b"], outputs: ["y", "y_h"],
                            attributes: ["hidden_size": .int(hidden), "direction": .string("bidirectional")])
            let kernel = try XCTUnwrap(OpRegistry.kernel(op))
            XCTAssertGreaterThan(OpParallelism.partCount(2, work: steps * batch * gates * hidden * hidden), 1,
                                 "\(op): too little work to split")
            let alone = try OpParallelism.$width.withValue(1) { try kernel(node, inputs) }
            let split = try OpParallelism.$width.withValue(2) { try kernel(node, inputs) }
            XCTAssertEqual(alone.map(\.floats), split.map(\.floats), op)
        }
    }

    // MARK: bad input

    func node(_ op: String, _ attributes: [String: AttributeValue] = [:], inputs: Int = 3) -> Node {
        Node(name: "rec", opType: op, inputs: (0..<inputs).map { "i\($0)" }, outputs: ["y", "y_h"],
             attributes: attributes)
    }

    func expectBadInput(_ op: String, _ attributes: [String: AttributeValue], _ inputs: [Tensor?], mentioning text: String,
                        line: UInt = #line) {
        guard let kernel = OpRegistry.kernel(op) else { return XCTFail("no \(op) kernel", line: line) }
        XCTAssertThrowsError(try kernel(node(op, attributes, inputs: inputs.count), inputs), line: line) { error in
            guard let lathe = error as? LatheError, lathe.kind == .badInput else { return XCTFail("\(error)", line: line) }
            let message = lathe.message
            XCTAssertTrue(message.contains("'rec'"), message, line: line)
            XCTAssertTrue(message.contains(text), "\(message) should mention \(text)", line: line)
        }
    }

    func testBadInputsNameTheNodeAndProblem() {
        let x = Tensor.zeros([2, 1, 3]), w = Tensor.zeros([1, 6, 3]), r = Tensor.zeros([1, 8, 2])
        expectBadInput("LSTM", ["hidden_size": .int(2)], [x, w, r], mentioning: "W has shape")
        expectBadInput("GRU", ["hidden_size": .int(3), "direction": .string("sideways")],
                       [x, Tensor.zeros([1, 9, 3]), Tensor.zeros([1, 9, 3])], mentioning: "direction 'sideways'")
        expectBadInput("RNN", ["hidden_size": .int(2), "activations": .strings(["Swish"])],
                       [x, Tensor.zeros([1, 2, 3]), Tensor.zeros([1, 2, 2])], mentioning: "unsupported activation 'Swish'")
        expectBadInput("RNN", ["hidden_size": .int(2), "activations": .strings(["Tanh", "Tanh"])],
                       [x, Tensor.zeros([1, 2, 3]), Tensor.zeros([1, 2, 2])], mentioning: "lists 2 functions")
        expectBadInput("RNN", ["hidden_size": .int(2)],
                       [x, Tensor.zeros([1, 2, 3]), Tensor.zeros([1, 2, 2]), nil,
                        Tensor(shape: [1], ints: [3], dtype: .int32)], mentioning: "sequence_lens[0] is 3")
        expectBadInput("GRU", ["hidden_size": .int(2), "layout": .int(2)],
                       [x, Tensor.zeros([1, 6, 3]), Tensor.zeros([1, 6, 2])], mentioning: "layout 2")
        expectBadInput("LSTM", ["hidden_size": .int(2)],
                       [x, Tensor.zeros([1, 8, 3]), Tensor.zeros([1, 8, 2]), Tensor.zeros([1, 8])], mentioning: "B has shape")
        expectBadInput("LSTM", ["hidden_size": .int(2)],
                       [x, Tensor.zeros([1, 8, 3]), Tensor.zeros([1, 8, 2]), nil, nil, nil, nil, Tensor.zeros([1, 5])],
                       mentioning: "P has shape")
        expectBadInput("LSTM", ["hidden_size": .int(2)], [Tensor.zeros([2, 3]), Tensor.zeros([1, 8, 3]), r], mentioning: "rank 3")
    }

    func testEmptySequenceGivesZeroStates() throws {
        let kernel = try XCTUnwrap(OpRegistry.kernel("GRU"))
        let x = Tensor.zeros([0, 2, 3])
        let outputs = try kernel(node("GRU", ["hidden_size": .int(2)]),
                                 [x, Tensor.zeros([1, 6, 3]), Tensor.zeros([1, 6, 2])])
        XCTAssertEqual(outputs[0].shape, [0, 1, 2, 2])
        XCTAssertEqual(outputs[1].floats, [0, 0, 0, 0])
    }
}
