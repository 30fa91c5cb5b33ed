import XCTest
@testable import LatheCore

/// Inputs a user's model can get wrong must raise `LatheError.badInput`
/// naming the node, never crash.
final class KernelBadInputTests: XCTestCase {
    private func zeros(_ shape: [Int]) -> Tensor { .zeros(shape) }

    private func assertBadInput(_ op: String, _ inputs: [Tensor?], _ attributes: [String: AttributeValue] = [:],
                                outputs: Int = 1, opset: Int = OpRegistry.newestOpset, mentions fragment: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        let node = Node(name: "bad_\(op.lowercased())", opType: op, inputs: inputs.map { $0 == nil ? "" : "t" },
                        outputs: (0..<outputs).map { "y\($0)" }, attributes: attributes)
        guard let kernel = OpRegistry.kernel(op, opset: opset) else { return XCTFail("no kernel \(op)", file: file, line: line) }
        XCTAssertThrowsError(try kernel(node, inputs), file: file, line: line) { error in
            guard let lathe = error as? LatheError else {
                return XCTFail("\(op): unexpected error type \(error)", file: file, line: line)
            }
            XCTAssertEqual(lathe.kind, .badInput, file: file, line: line)
            XCTAssertTrue(lathe.message.contains("bad_\(op.lowercased())"), "message \(lathe.message) should name the node",
                          file: file, line: line)
            XCTAssertTrue(lathe.message.contains(fragment), "message \(lathe.message) should mention \(fragment)",
                          file: file, line: line)
        }
    }

    func testConvRejectsInconsistentShapes() {
        assertBadInput("Conv", [zeros([1, 3, 5, 5]), zeros([4, 3, 3])], mentions: "rank")
        assertBadInput("Conv", [zeros([1, 3, 5, 5]), zeros([4, 2, 3, 3])], mentions: "input channels")
        assertBadInput("Conv", [zeros([1, 3, 5, 5]), zeros([4, 1, 3, 3])], ["group": .int(2)], mentions: "does not divide")
        assertBadInput("Conv", [zeros([1, 4, 5, 5]), zeros([3, 2, 3, 3])], ["group": .int(2)], mentions: "output channels")
        assertBadInput("Conv", [zeros([3, 5]), zeros([4, 3, 3])], mentions: "rank 3 or more")
        assertBadInput("Conv", [zeros([1, 3, 5, 5])], mentions: "missing required input 1")
        assertBadInput("Conv", [zeros([1, 3, 5, 5]), zeros([4, 3, 3, 3]), zeros([3])], mentions: "bias")
        assertBadInput("Conv", [zeros([1, 3, 2, 2]), zeros([4, 3, 3, 3])], mentions: "does not fit")
        assertBadInput("Conv", [zeros([1, 3, 5, 5]), zeros([4, 3, 3, 3])], ["kernel_shape": .ints([5, 5])],
                       mentions: "kernel_shape")
        assertBadInput("Conv", [zeros([1, 3, 5, 5]), zeros([4, 3, 3, 3])], ["strides": .ints([1, 1, 1])], mentions: "strides")
        assertBadInput("Conv", [zeros([1, 3, 5, 5]), zeros([4, 3, 3, 3])], ["auto_pad": .string("SAME")], mentions: "auto_pad")
        assertBadInput("Conv", [Tensor(shape: [1, 1, 2, 2], ints: [1, 2, 3, 4]), zeros([1, 1, 1, 1])], mentions: "floating-point")
        assertBadInput("Conv", [zeros([1, 1, 2, 2, 2, 2]), zeros([1, 1, 1, 1, 1, 1])], mentions: "spatial axes")
        assertBadInput("Conv", [zeros([1, 3, 5, 5]), zeros([4, 3, 3, 3])], ["lathe.activation": .string("Gelu")],
                       mentions: "Gelu")
    }

    func testConvTransposeRejectsInconsistentShapes() {
        assertBadInput("ConvTranspose", [zeros([1, 3, 4, 4]), zeros([2, 2, 3, 3])], mentions: "input channels")
        assertBadInput("ConvTranspose", [zeros([1, 3, 4, 4]), zeros([3, 2, 3])], mentions: "rank")
        assertBadInput("ConvTranspose", [zeros([1, 3, 4, 4]), zeros([3, 2, 3, 3])], ["group": .int(2)], mentions: "does not divide")
        assertBadInput("ConvTranspose", [zeros([1, 2, 2, 2]), zeros([2, 2, 1, 1])], ["pads": .ints([1, 1, 1, 1])],
                       mentions: "not positive")
    }

    func testGemmAndMatMulRejectMismatchedOperands() {
        assertBadInput("Gemm", [zeros([3, 4]), zeros([5, 6])], mentions: "inner dimensions")
        assertBadInput("Gemm", [zeros([3, 4]), zeros([4, 5]), zeros([2, 5])], mentions: "broadcast")
        assertBadInput("Gemm", [zeros([2, 3, 4]), zeros([4, 5])], mentions: "matrices")
        assertBadInput("MatMul", [zeros([3, 4]), zeros([5, 6])], mentions: "inner dimensions")
        assertBadInput("MatMul", [zeros([2, 3, 4]), zeros([3, 4, 5])], mentions: "do not broadcast")
        assertBadInput("MatMul", [Tensor.scalar(1), zeros([1])], mentions: "rank 1 or more")
    }

    func testPoolsRejectBadAttributes() {
        assertBadInput("MaxPool", [zeros([1, 2, 5, 5])], mentions: "kernel_shape")
        assertBadInput("AveragePool", [zeros([1, 2, 5, 5])], ["kernel_shape": .ints([3])], mentions: "kernel_shape")
        assertBadInput("MaxPool", [zeros([4, 4])], ["kernel_shape": .ints([2])], mentions: "rank 3 or more")
        assertBadInput("AveragePool", [zeros([1, 1, 2, 2])], ["kernel_shape": .ints([3, 3])], mentions: "does not fit")
        assertBadInput("GlobalAveragePool", [zeros([2, 3])], mentions: "rank 3 or more")
    }

    func testNormalizationsRejectBadInputs() {
        let stats = zeros([3])
        assertBadInput("BatchNormalization", [zeros([1, 3, 2, 2]), stats, stats, stats, stats], ["training_mode": .int(1)],
                       mentions: "training_mode")
        assertBadInput("BatchNormalization", [zeros([1, 4, 2, 2]), stats, stats, stats, stats], mentions: "channels")
        assertBadInput("BatchNormalization", [zeros([1, 3, 2, 2]), stats, zeros([2]), stats, stats], mentions: "B has 2")
        assertBadInput("LayerNormalization", [zeros([2, 3]), zeros([3])], ["axis": .int(2)], mentions: "axis")
        assertBadInput("LayerNormalization", [zeros([2, 3]), zeros([4])], mentions: "broadcast")
    }

    func testResizeAndPadRejectUnsupportedForms() {
        let x = zeros([1, 1, 2, 2])
        assertBadInput("Resize", [x, nil, Tensor(shape: [4], floats: [1, 1, 2, 2])], ["mode": .string("cubic")],
                       mentions: "cubic")
        assertBadInput("Resize", [x, nil, nil, nil], mentions: "neither scales nor sizes")
        assertBadInput("Resize", [x, nil, Tensor(shape: [2], floats: [2, 2])], mentions: "scales has 2")
        assertBadInput("Resize", [x, nil, Tensor(shape: [4], floats: [1, 1, 0.5, 0.5])],
                       ["mode": .string("linear"), "antialias": .int(1)], mentions: "antialias")
        assertBadInput("Resize", [x, nil, nil, Tensor(shape: [4], ints: [1, 1, 4, 4])],
                       ["coordinate_transformation_mode": .string("tf_crop_and_resize")], mentions: "roi")
        assertBadInput("Pad", [zeros([2, 3]), Tensor(shape: [3], ints: [1, 1, 1])], mentions: "pads has 3")
        assertBadInput("Pad", [zeros([2, 3]), Tensor(shape: [4], ints: [0, 0, 0, 0])], ["mode": .string("mirror")],
                       mentions: "mirror")
        assertBadInput("Pad", [zeros([2, 3]), Tensor(shape: [4], ints: [0, -2, 0, -2])], mentions: "below zero")
        assertBadInput("Pad", [zeros([2, 3])], opset: 7, mentions: "pads is missing")
        assertBadInput("Pad", [zeros([2, 3]), Tensor(shape: [4], ints: [0, 0, 1 << 40, 0])], mentions: "too large")
        assertBadInput("Resize", [x, nil, Tensor(shape: [4], floats: [1, 1, .infinity, 1])], mentions: "finite")
        assertBadInput("Resize", [x, nil, Tensor(shape: [4], floats: [1, 1, 1e12, 1e12])], mentions: "too large")
        assertBadInput("Resize", [x, nil, Tensor(shape: [4], floats: [1, 1, 1e30, 1])], mentions: "too large")
        assertBadInput("Resize", [zeros([1, 0, 2, 2]), nil, nil, Tensor(shape: [4], ints: [1, 1, 4, 4])], mentions: "empty")
        assertBadInput("Resize", [x, Tensor(shape: [8], floats: [0, 0, 0, .nan, 1, 1, 1, 1]), nil,
                                  Tensor(shape: [4], ints: [1, 1, 4, 4])],
                       ["coordinate_transformation_mode": .string("tf_crop_and_resize")], mentions: "finite")
        assertBadInput("ConvTranspose", [zeros([1, 1, 2, 2]), zeros([1, 1, 1, 1])], ["output_shape": .ints([1 << 20, 1 << 20])],
                       mentions: "too large")
    }
}
