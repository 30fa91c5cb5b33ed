import XCTest
@testable import LatheCore

/// Behaviour the onnxruntime fixtures cannot pin down: what onnxruntime
/// leaves undefined or crashes on, Lathe-specific conventions, and bad inputs
/// that must become `badInput` errors naming the node.
final class TensorOpsBehaviourTests: XCTestCase {
    /// A node and the opset whose form of its op runs it (nil: the newest).
    struct OpCall {
        var node: Node
        var opset: Int
        var displayName: String { node.displayName }
    }

    func node(_ op: String, inputs: Int = 1, outputs: Int = 1, opset: Int? = 13,
              _ attributes: [String: AttributeValue] = [:]) -> OpCall {
        OpCall(node: Node(name: "my_\(op.lowercased())", opType: op, inputs: (0..<inputs).map { "in\($0)" },
                          outputs: (0..<outputs).map { "out\($0)" }, attributes: attributes),
               opset: opset ?? OpRegistry.newestOpset)
    }

    func run(_ call: OpCall, _ inputs: [Tensor?]) throws -> [Tensor] {
        let kernel = try XCTUnwrap(OpRegistry.kernel(call.node.opType, opset: call.opset))
        return try kernel(call.node, inputs)
    }

    /// Asserts a badInput error whose message names the node and `words`.
    func assertBadInput(_ node: OpCall, _ inputs: [Tensor?], mentions words: [String] = [],
                        file: StaticString = #filePath, line: UInt = #line) {
        do {
            let out = try run(node, inputs)
            XCTFail("expected an error, got shapes \(out.map(\.shape))", file: file, line: line)
        } catch let error as LatheError {
            XCTAssertEqual(error.kind, .badInput, file: file, line: line)
            for word in [node.displayName] + words {
                XCTAssertTrue(error.message.contains(word), "'\(error.message)' lacks '\(word)'", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    func floats(_ shape: [Int], _ values: [Float]) -> Tensor { Tensor(shape: shape, floats: values) }
    func ints(_ values: [Int64], shape: [Int]? = nil, dtype: DType = .int64) -> Tensor {
        Tensor(shape: shape ?? [values.count], ints: values, dtype: dtype)
    }

    // MARK: bad inputs

    func testBadInputsNameTheNodeAndShapes() {
        let x = Tensor.zeros([2, 3])
        assertBadInput(node("Add", inputs: 2), [x, .zeros([4])], mentions: ["[2, 3]", "[4]"])
        assertBadInput(node("Add", inputs: 2), [x, ints([1, 2, 3])], mentions: ["float32", "int64"])
        assertBadInput(node("Add", inputs: 2), [x, nil], mentions: ["input 1"])
        assertBadInput(node("Reshape", inputs: 2), [x, ints([4, 2])], mentions: ["[2, 3]", "[4, 2]"])
        assertBadInput(node("Reshape", inputs: 2), [x, ints([-1, -1])], mentions: ["-1"])
        assertBadInput(node("Reshape", inputs: 2), [x, ints([0, 0, 0])], mentions: ["[2, 3]"])
        assertBadInput(node("Reshape", inputs: 2), [.zeros([0, 3]), ints([0, -1], dtype: .int64)].map { $0 },
                       mentions: ["[0, 3]"])
        assertBadInput(node("Reshape", inputs: 2), [x, ints([Int64.max, 4])], mentions: ["too many"])
        assertBadInput(node("Gather", inputs: 2), [x, ints([2])], mentions: ["index 2", "[2, 3]"])
        assertBadInput(node("Gather", inputs: 2, ["axis": .int(2)]), [x, ints([0])], mentions: ["axis 2"])
        assertBadInput(node("Gather", inputs: 2), [x, floats([1], [0])], mentions: ["indices"])
        assertBadInput(node("Concat", inputs: 2, ["axis": .int(2)]), [x, x], mentions: ["axis 2"])
        assertBadInput(node("Concat", inputs: 2, ["axis": .int(0)]), [x, .zeros([2, 4])], mentions: ["[2, 4]"])
        assertBadInput(node("Concat", inputs: 1), [x], mentions: ["axis"])
        assertBadInput(node("Flatten", ["axis": .int(3)]), [x], mentions: ["axis 3"])
        assertBadInput(node("Softmax", ["axis": .int(-3)]), [x], mentions: ["axis -3"])
        assertBadInput(node("ArgMax", ["axis": .int(2)]), [x], mentions: ["axis 2"])
        assertBadInput(node("ArgMax", ["axis": .int(0)]), [.zeros([0, 3])], mentions: ["[0, 3]"])
        assertBadInput(node("Transpose", ["perm": .ints([0, 0])]), [x], mentions: ["[0, 0]"])
        assertBadInput(node("Unsqueeze", inputs: 2), [x, ints([1, -3])], mentions: ["repeated"])
        assertBadInput(node("Unsqueeze", inputs: 2), [x, ints([3])], mentions: ["axis 3"])
        assertBadInput(node("Squeeze", inputs: 2), [x, ints([0])], mentions: ["[2, 3]"])
        assertBadInput(node("ReduceSum", inputs: 2), [x, ints([1, 1])], mentions: ["repeated"])
        assertBadInput(node("Split", inputs: 1, outputs: 4), [x], mentions: ["[2, 3]", "4"])
        assertBadInput(node("Split", inputs: 2, outputs: 3), [x, ints([1, 1])], mentions: ["3 outputs"])
        assertBadInput(node("Split", opset: 18, ["num_outputs": .int(3)]), [x], mentions: ["num_outputs"])
        assertBadInput(node("Slice", inputs: 3), [x, ints([0, 0]), ints([1])], mentions: ["[0, 0]", "[1]"])
        assertBadInput(node("Expand", inputs: 2), [x, ints([-2, 3])], mentions: ["negative"])
        assertBadInput(node("Expand", inputs: 2), [x, ints([1 << 40, 1 << 40, 3])], mentions: ["too many"])
        assertBadInput(node("ConstantOfShape"), [ints([1 << 62, 1 << 62])], mentions: ["too many"])
        assertBadInput(node("Range", inputs: 3), [.scalar(0), .scalar(1), .scalar(0)], mentions: ["delta"])
        assertBadInput(node("Range", inputs: 3), [.scalar(0), .scalar(1e30), .scalar(1e-30)], mentions: ["too many"])
        assertBadInput(node("Range", inputs: 3), [.scalar(0), .scalar(int: 3), .scalar(1)], mentions: ["types"])
        assertBadInput(node("Cast", ["to": .int(8)]), [x], mentions: ["8"])
        assertBadInput(node("Cast"), [x], mentions: ["to"])
        assertBadInput(node("Constant", inputs: 0, ["value_string": .string("hi")]), [], mentions: ["value_string"])
        assertBadInput(node("Gelu", opset: 20, ["approximate": .string("fast")]), [x], mentions: ["fast"])
        assertBadInput(node("Not"), [x], mentions: ["bool"])
        assertBadInput(node("Where", inputs: 3), [x, x, x], mentions: ["condition"])
        assertBadInput(node("Sqrt"), [ints([4])], mentions: ["int64"])
        assertBadInput(node("Clip", inputs: 3), [x, .zeros([2]), nil], mentions: ["min", "[2]"])
        assertBadInput(node("Identity"), [], mentions: ["input 0"])
    }

    /// onnxruntime accepts a PRelu slope that would enlarge X; ONNX defines
    /// the slope as broadcasting unidirectionally to X.
    func testPReluSlopeMustBroadcastToInput() {
        assertBadInput(node("PRelu", inputs: 2), [.zeros([3, 1]), .zeros([3, 4])], mentions: ["[3, 1]", "[3, 4]"])
    }

    /// Integer division by zero traps in C; Lathe reports it.
    func testIntegerDivisionByZero() {
        assertBadInput(node("Div", inputs: 2), [ints([4, 5]), ints([1, 0])], mentions: ["division by zero"])
    }

    // MARK: integer edge cases that must not trap

    func testIntegerOverflowWraps() throws {
        let lowest = ints([Int64.min])
        XCTAssertEqual(try run(node("Div", inputs: 2), [lowest, ints([-1])])[0].ints, [Int64.min])
        XCTAssertEqual(try run(node("Abs"), [lowest])[0].ints, [Int64.min])
        XCTAssertEqual(try run(node("Neg"), [lowest])[0].ints, [Int64.min])
        XCTAssertEqual(try run(node("Add", inputs: 2), [ints([Int64.max]), ints([1])])[0].ints, [Int64.min])
        let int32Max = ints([Int64(Int32.max)], dtype: .int32)
        let sum = try run(node("Add", inputs: 2), [int32Max, ints([1], dtype: .int32)])[0]
        XCTAssertEqual(sum.dtype, .int32)
        XCTAssertEqual(sum.ints, [Int64(Int32.min)])
        XCTAssertEqual(try run(node("Pow", inputs: 2), [ints([10]), ints([30])])[0].ints, [Int64.max])
    }

    func testCastOfNonFiniteFloatsDoesNotTrap() throws {
        let special = floats([5], [.nan, .infinity, -.infinity, 1e30, -3.9])
        XCTAssertEqual(try run(node("Cast", ["to": .int(7)]), [special])[0].ints, [0, .max, .min, .max, -3])
        XCTAssertEqual(try run(node("Cast", ["to": .int(9)]), [special])[0].ints, [1, 1, 1, 1, 1])
        let unsigned = try run(node("Cast", ["to": .int(13)]), [floats([2], [1.5e19, 2])])[0]
        XCTAssertEqual(unsigned.dtype, .uint64)
        XCTAssertEqual(UInt64(bitPattern: unsigned.ints[0]), UInt64(Float(1.5e19)))   // above Int64.max
        let back = try run(node("Cast", ["to": .int(1)]), [unsigned])[0]
        XCTAssertEqual(back.floats, [1.5e19, 2])
    }

    // MARK: Lathe conventions

    /// Half-precision tensors compute in Float but their results are rounded
    /// to the dtype's precision, as a runtime computing in that type returns.
    func testHalfPrecisionResultsAreRounded() throws {
        let a = Tensor(shape: [2], floats: [1, 1000], dtype: .float16)
        let b = Tensor(shape: [2], floats: [0.0001, 0.3], dtype: .float16)
        let sum = try run(node("Add", inputs: 2), [a, b])[0]
        XCTAssertEqual(sum.dtype, .float16)
        XCTAssertEqual(sum.floats, [1, 1000.5])   // 1.0001 and 1000.3 are not float16 values
        // Ties round to even; the largest Float rounds up to infinity.
        let bf = try run(node("Cast", ["to": .int(16)]), [floats([3], [1.00390625, 1.01171875, .greatestFiniteMagnitude])])[0]
        XCTAssertEqual(bf.dtype, .bfloat16)
        XCTAssertEqual(bf.floats, [1, 1.015625, .infinity])
    }

    /// Before opset 12 onnxruntime zeroes the Dropout mask at inference;
    /// nothing is dropped, so Lathe's mask is ones (input type before opset
    /// 10, bool after).
    func testDropoutMaskIsOnes() throws {
        let x = floats([3], [1, -2, 3])
        let old = try run(node("Dropout", outputs: 2, opset: 7), [x])
        XCTAssertEqual(old[0], x)
        XCTAssertEqual(old[1], Tensor(shape: [3], floats: [1, 1, 1]))
        let new = try run(node("Dropout", inputs: 3, outputs: 2, opset: 13), [x, .scalar(0.5), nil])
        XCTAssertEqual(new[1], Tensor(shape: [3], ints: [1, 1, 1], dtype: .bool))
        XCTAssertEqual(try run(node("Dropout", outputs: 1, opset: 13), [x]).count, 1)
    }

    /// Nodes built without a model get the newest form: Softmax follows opset 13+.
    func testFormsWithoutOpset() throws {
        let x = floats([2, 2], [0, 0, 0, 100])
        let perRow = try run(node("Softmax", opset: nil), [x])[0].floats
        XCTAssertEqual(perRow[0], 0.5)
        XCTAssertEqual(perRow[1], 0.5)
        XCTAssertEqual(perRow[2], 0, accuracy: 1e-30)
        XCTAssertEqual(perRow[3], 1)
        let coerced = try run(node("Softmax", opset: 11, ["axis": .int(0)]), [x])[0].floats
        XCTAssertEqual(coerced[3], 1, accuracy: 1e-6)
        XCTAssertEqual(coerced[0], 0, accuracy: 1e-6)
    }

    /// Every kernel, fed inputs of mismatched ranks, types and omitted slots,
    /// either answers or throws a LatheError — it never traps.
    func testKernelsNeverTrapOnArbitraryInputs() {
        var generator = SplitMix(seed: 7)
        let shapes: [[Int]] = [[], [1], [0], [3], [2, 3], [3, 1], [1, 0, 2], [2, 1, 2, 2]]
        func randomTensor() -> Tensor? {
            let shape = shapes[generator.next(shapes.count)]
            let count = shape.reduce(1, *)
            switch generator.next(5) {
            case 0: return nil
            case 1: return Tensor(shape: shape, ints: (0..<count).map { _ in Int64(generator.next(9)) - 4 })
            case 2: return Tensor(shape: shape, ints: (0..<count).map { _ in Int64(generator.next(2)) }, dtype: .bool)
            default: return Tensor(shape: shape, floats: (0..<count).map { _ in Float(generator.next(13)) - 6.5 })
            }
        }
        let attributeChoices: [String: [AttributeValue]] = [
            "axis": [.int(-3), .int(0), .int(1), .int(5)],
            "axes": [.ints([0]), .ints([-1, 1]), .ints([7])],
            "perm": [.ints([1, 0]), .ints([0])],
            "to": [.int(1), .int(7), .int(9), .int(10), .int(99)],
            "keepdims": [.int(0), .int(1)],
            "split": [.ints([1, 2]), .ints([-1, 4])],
            "num_outputs": [.int(0), .int(2), .int(-1)],
            "starts": [.ints([1]), .ints([-9])],
            "ends": [.ints([2]), .ints([Int.max])],
            "start": [.int(-9), .int(1)],
            "end": [.int(9)],
            "value": [.tensor(.scalar(2)), .tensor(.zeros([2]))],
            "noop_with_empty_axes": [.int(1)],
            "select_last_index": [.int(1)],
        ]
        for op in OpRegistry.supportedOps {
            for trial in 0..<300 {
                var attributes: [String: AttributeValue] = [:]
                for (key, choices) in attributeChoices where generator.next(3) == 0 {
                    attributes[key] = choices[generator.next(choices.count)]
                }
                let opset = generator.next(4) != 0 ? [7, 11, 13, 18, 21][generator.next(5)] : OpRegistry.newestOpset
                guard let kernel = OpRegistry.kernel(op, opset: opset) else { return XCTFail("no kernel \(op)") }
                let inputs = (0..<generator.next(5)).map { _ in randomTensor() }
                let n = Node(name: "fuzz_\(trial)", opType: op, inputs: inputs.map { $0 == nil ? "" : "x" },
                             outputs: (0..<(1 + generator.next(3))).map { "y\($0)" }, attributes: attributes)
                do {
                    _ = try kernel(n, inputs)
                } catch let error as LatheError {
                    XCTAssertTrue(error.message.contains("fuzz_\(trial)"), "\(op): \(error.message)")
                } catch {
                    XCTFail("\(op): non-Lathe error \(error)")
                }
            }
        }
    }
}

/// A small deterministic generator for the robustness test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(bound))
    }
}
