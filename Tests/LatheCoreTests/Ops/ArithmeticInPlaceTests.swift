import XCTest
@testable import LatheCore

/// Add, Sub, Mul and Div over a free operand: the values of the kernels that allocate, in the
/// operand's own storage when the run holds it alone, and nothing taken when it does not.
final class ArithmeticInPlaceTests: XCTestCase {
    private func node(_ opType: String) -> Node {
        Node(name: opType, opType: opType, inputs: ["a", "b"], outputs: ["y"], attributes: [:])
    }

    private func values(_ count: Int, seed: Float) -> [Float] {
        (0..<count).map { Float(($0 * 37 + 11) % 101) / 7 - 6 + seed }
    }

    /// The allocating kernel's result for the same operands.
    private func expected(_ opType: String, _ a: Tensor, _ b: Tensor) throws -> [Float] {
        let kernel: Kernel
        switch opType {
        case "Add": kernel = Arithmetic.add
        case "Sub": kernel = Arithmetic.sub
        case "Mul": kernel = Arithmetic.mul
        default: kernel = Arithmetic.div
        }
        return try kernel(node(opType), [a, b])[0].floats
    }

    private func address(_ tensor: Tensor?) -> UnsafePointer<Float>? {
        tensor?.floats.withUnsafeBufferPointer { $0.baseAddress }
    }

    func testEachOpWritesOverAFreeOperandWithTheKernelsValues() throws {
        let shapes: [([Int], [Int])] = [([4, 5000], [4, 5000]), ([4, 5000], [5000]), ([1], [3, 2, 4000]),
                                        ([2, 3, 9000], [2, 3, 1])]
        for opType in ["Add", "Sub", "Mul", "Div"] {
            let operation = try XCTUnwrap(ArithmeticInPlace.operation(opType))
            for (shapeA, shapeB) in shapes {
                let a = Tensor(shape: shapeA, floats: values(shapeA.reduce(1, *), seed: 0.5))
                let b = Tensor(shape: shapeB, floats: values(shapeB.reduce(1, *), seed: 9))
                let want = try expected(opType, a, b)
                // Only the inputs array holds the operands from here on.
                var inputs: [Tensor?] = [Tensor(shape: shapeA, floats: a.floats.map { $0 }),
                                         Tensor(shape: shapeB, floats: b.floats.map { $0 })]
                let plan = try XCTUnwrap(BroadcastPlan([shapeA, shapeB]))
                let target = shapeA == plan.outputShape ? 0 : 1
                let storage = address(inputs[target])
                let label = "\(opType) \(shapeA) \(shapeB)"
                let got = try XCTUnwrap(ArithmeticInPlace.run(node(opType), &inputs, isFree: { _ in true }, operation),
                                        label)
                XCTAssertEqual(got.floats, want, label)
                XCTAssertEqual(got.shape, plan.outputShape, label)
                XCTAssertNil(inputs[target], label)
                XCTAssertEqual(address(got), storage, "\(label): written over operand \(target)")
            }
        }
    }

    func testAnOperandTheRunStillNeedsIsLeftAlone() throws {
        let a = Tensor(shape: [64, 512], floats: values(64 * 512, seed: 1))
        let b = Tensor(shape: [512], floats: values(512, seed: 2))
        var inputs: [Tensor?] = [a, b]
        let operation = try XCTUnwrap(ArithmeticInPlace.operation("Add"))
        // Only the broadcast operand is free: it has not the output's shape, so nothing can be written over.
        XCTAssertNil(try ArithmeticInPlace.run(node("Add"), &inputs, isFree: { $0 == 1 }, operation))
        XCTAssertEqual(inputs[0]?.floats, a.floats)
        XCTAssertEqual(inputs[1]?.floats, b.floats)
        // Both free, but the output [2, 3, 9000] is larger than either.
        var neither: [Tensor?] = [Tensor(shape: [2, 1, 9000], floats: values(18_000, seed: 3)),
                                  Tensor(shape: [2, 3, 1], floats: values(6, seed: 4))]
        XCTAssertNil(try ArithmeticInPlace.run(node("Add"), &neither, isFree: { _ in true }, operation))
        XCTAssertNotNil(neither[0])
        XCTAssertNil(ArithmeticInPlace.operation("Pow"))
    }

    /// x · x with x free: the shared storage is copied before it is written, so the square is right.
    func testAnOperandReadTwiceStillGivesTheRightValues() throws {
        let x = Tensor(shape: [3, 7000], floats: values(21_000, seed: 0))
        var inputs: [Tensor?] = [x, x]
        let operation = try XCTUnwrap(ArithmeticInPlace.operation("Mul"))
        let got = try XCTUnwrap(ArithmeticInPlace.run(node("Mul"), &inputs, isFree: { _ in true }, operation))
        XCTAssertEqual(got.floats, x.floats.map { $0 * $0 })
        XCTAssertEqual(x.floats, values(21_000, seed: 0), "the caller's tensor is unchanged")
    }
}
