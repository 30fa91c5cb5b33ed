import XCTest
@testable import LatheCore

/// Behaviour onnxruntime cannot serve as a reference for (it dropped
/// tf_half_pixel_for_nearest; fused activations are Lathe's own attributes),
/// checked against values worked out by hand.
final class KernelHandComputedTests: XCTestCase {
    private func run(_ op: String, _ inputs: [Tensor?], _ attributes: [String: AttributeValue], outputs: Int = 1,
                     opset: Int = OpRegistry.newestOpset) throws -> [Tensor] {
        let node = Node(name: "n", opType: op, inputs: inputs.map { $0 == nil ? "" : "t" },
                        outputs: (0..<outputs).map { "y\($0)" }, attributes: attributes)
        return try XCTUnwrap(OpRegistry.kernel(op, opset: opset))(node, inputs)
    }

    /// An empty reduction gives the type's least value for ReduceMax and its greatest for ReduceMin
    /// (the ONNX reference's node test covers bool; onnxruntime refuses these empty integer cases).
    func testIntegerReduceMaxAndMinOverAnEmptyAxis() throws {
        let axes = Tensor(shape: [1], ints: [1])
        for (dtype, least, greatest) in [(DType.bool, Int64(0), Int64(1)), (.int8, -128, 127), (.uint8, 0, 255),
                                         (.int32, Int64(Int32.min), Int64(Int32.max)), (.uint64, 0, -1)] {
            let x = Tensor(shape: [2, 0], ints: [], dtype: dtype)
            let max = try run("ReduceMax", [x, axes], ["keepdims": .int(0)])
            XCTAssertEqual(max[0], Tensor(shape: [2], ints: [least, least], dtype: dtype), "\(dtype)")
            let min = try run("ReduceMin", [x, axes], ["keepdims": .int(0)])
            XCTAssertEqual(min[0], Tensor(shape: [2], ints: [greatest, greatest], dtype: dtype), "\(dtype)")
        }
        // uint64 compares unsigned: 2^63 is above 1, not below.
        let big = Tensor(shape: [2], ints: [1, Int64.min], dtype: .uint64)
        XCTAssertEqual(try run("ReduceMax", [big], [:])[0].ints, [Int64.min])
        XCTAssertEqual(try run("ReduceMin", [big], [:])[0].ints, [1])
    }

    func testResizeTfHalfPixelForNearest() throws {
        // x_original = (x + 0.5) / 2 for x = 0..<4 → 0.25, 0.75, 1.25, 1.75;
        // round_prefer_floor gives 0, 1, 1, 2→clamped to 1.
        let x = Tensor(shape: [1, 1, 1, 2], floats: [10, 20])
        let y = try run("Resize", [x, Tensor(shape: [0], floats: []), Tensor(shape: [4], floats: [1, 1, 1, 2])],
                        ["mode": .string("nearest"), "coordinate_transformation_mode": .string("tf_half_pixel_for_nearest")],
                        opset: 11)
        XCTAssertEqual(y[0].shape, [1, 1, 1, 4])
        XCTAssertEqual(y[0].floats, [10, 20, 20, 20])
    }

    func testResizeNearestCopiesInfinitiesExactly() throws {
        let x = Tensor(shape: [1, 1, 1, 3], floats: [.infinity, 1, -.infinity])
        let y = try run("Resize", [x, nil, Tensor(shape: [4], floats: [1, 1, 1, 2])], ["mode": .string("nearest")])
        XCTAssertEqual(y[0].floats, [.infinity, .infinity, 1, 1, -.infinity, -.infinity])
    }

    func testFusedActivationParsingAndDefaults() throws {
        func parse(_ attrs: [String: AttributeValue]) throws -> FusedActivation {
            try FusedActivation(node: Node(opType: "Conv", inputs: [], outputs: ["y"], attributes: attrs))
        }
        XCTAssertEqual(try parse([:]), .identity)
        XCTAssertEqual(try parse(["lathe.activation": .string("LeakyRelu")]), .leakyRelu(alpha: 0.01))
        XCTAssertEqual(try parse(["lathe.activation": .string("HardSigmoid")]), .hardSigmoid(alpha: 0.2, beta: 0.5))
        XCTAssertEqual(try parse(["lathe.activation": .string("Clip"), "lathe.max": .float(6)]),
                       .clip(min: -.infinity, max: 6))
        for activation in [FusedActivation.relu, .leakyRelu(alpha: 0.3), .clip(min: 0, max: 6), .sigmoid,
                           .hardSigmoid(alpha: 0.25, beta: 0.4), .hardSwish, .tanh, .silu] {
            XCTAssertEqual(try parse(activation.attributes), activation, "attributes round trip")
        }
        let values: [Float] = [-4, -1, 0, 0.5, 3, 9]
        XCTAssertEqual(values.map { FusedActivation.relu.apply($0) }, [0, 0, 0, 0.5, 3, 9])
        XCTAssertEqual(values.map { FusedActivation.clip(min: 0, max: 6).apply($0) }, [0, 0, 0, 0.5, 3, 6])
        XCTAssertEqual(values.map { FusedActivation.leakyRelu(alpha: 0.5).apply($0) }, [-2, -0.5, 0, 0.5, 3, 9])
        XCTAssertEqual(values.map { FusedActivation.hardSigmoid(alpha: 0.2, beta: 0.5).apply($0) }, [0, 0.3, 0.5, 0.6, 1, 1],
                       accuracy: 1e-6)
        XCTAssertEqual(values.map { FusedActivation.hardSwish.apply($0) }, [0, -1.0 / 3, 0, 0.5 * 3.5 / 6, 3, 9], accuracy: 1e-6)
        XCTAssertEqual(FusedActivation.sigmoid.apply(0), 0.5)
        // FastExp saturates at e^87.3, so far-negative inputs give a denormal, not exactly 0 (as the Sigmoid kernel).
        XCTAssertEqual(FusedActivation.sigmoid.apply(-200), 0, accuracy: 1e-37)
        XCTAssertEqual(FusedActivation.sigmoid.apply(200), 1)
        XCTAssertEqual(FusedActivation.tanh.apply(0.5), tanhf(0.5), accuracy: 1e-7)
        // The buffer form agrees with the scalar form.
        var buffer = values
        FusedActivation.hardSwish.apply(to: &buffer)
        XCTAssertEqual(buffer, values.map { FusedActivation.hardSwish.apply($0) })
    }

    func testConvWithFusedReluOnHandValues() throws {
        // 1×1 image row [1, -2, 3] convolved with kernel [1, 1] (VALID): [-1, 1]; bias 0.5 → [-0.5, 1.5]; relu → [0, 1.5].
        let y = try run("Conv", [Tensor(shape: [1, 1, 3], floats: [1, -2, 3]), Tensor(shape: [1, 1, 2], floats: [1, 1]),
                                 Tensor(shape: [1], floats: [0.5])],
                        ["lathe.activation": .string("Relu")])
        XCTAssertEqual(y[0].shape, [1, 1, 2])
        XCTAssertEqual(y[0].floats, [0, 1.5])
    }

    func testIntegerMatMul() throws {
        let y = try run("MatMul", [Tensor(shape: [2, 2], ints: [1, 2, 3, 4]), Tensor(shape: [2], ints: [5, 6])], [:])
        XCTAssertEqual(y[0].shape, [2])
        XCTAssertEqual(y[0].ints, [17, 39])
        XCTAssertEqual(y[0].dtype, .int64)
    }

    func testPadIntegerTensorReflect() throws {
        let y = try run("Pad", [Tensor(shape: [3], ints: [1, 2, 3]), Tensor(shape: [2], ints: [2, 3])],
                        ["mode": .string("reflect")])
        XCTAssertEqual(y[0].ints, [3, 2, 1, 2, 3, 2, 1, 2])
    }

    func testKernelsKeepFloat16DType() throws {
        let x = Tensor(shape: [1, 1, 2, 2], floats: [1, 2, 3, 4], dtype: .float16)
        let y = try run("GlobalAveragePool", [x], [:])
        XCTAssertEqual(y[0].dtype, .float16)
        XCTAssertEqual(y[0].floats, [2.5])
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
