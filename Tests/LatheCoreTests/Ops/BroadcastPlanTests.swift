import XCTest
@testable import LatheCore

final class BroadcastPlanTests: XCTestCase {
    func testBroadcastShape() {
        XCTAssertEqual(broadcastShape([[2, 3, 4], [4]]), [2, 3, 4])
        XCTAssertEqual(broadcastShape([[3, 1], [1, 4]]), [3, 4])
        XCTAssertEqual(broadcastShape([[], [2, 3]]), [2, 3])
        XCTAssertEqual(broadcastShape([[1, 0], [3, 1]]), [3, 0])
        XCTAssertEqual(broadcastShape([[2, 1, 4], [3, 1], [5, 1, 1, 1]]), [5, 2, 3, 4])
        XCTAssertNil(broadcastShape([[2, 3], [4]]))
        XCTAssertNil(broadcastShape([[0], [2]]))
    }

    /// A compiled step's Add, Sub, Mul and Div keep their last broadcast plan (`ShapePairMemo`): called with
    /// other shapes (either side changing, integers, a scalar) and back, each gives what a fresh kernel gives,
    /// and a shape pair that cannot broadcast still fails.
    func testRememberingArithmeticFollowsItsInputsShapes() throws {
        func floats(_ shape: [Int], _ scale: Float) -> Tensor {
            Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { Float(($0 * 7) % 11) * scale + 0.5 })
        }
        let calls: [(Tensor, Tensor)] = [
            (floats([2, 3, 4], 0.5), floats([3, 1], 0.25)),
            (floats([2, 3, 4], 0.5), floats([4], 1.5)),
            (floats([1, 3, 4], 0.5), floats([3, 1], 0.25)),
            (Tensor(shape: [2, 2], ints: [7, -9, 4, 12]), Tensor(shape: [2], ints: [2, -3])),
            (floats([5], 2), floats([], 3)),
            (floats([2, 3, 4], 0.5), floats([3, 1], 0.25)),
        ]
        let ops: [(String, Kernel, Kernel)] = [
            ("Add", Arithmetic.add(planMemo: ShapePairMemo()), Arithmetic.add),
            ("Sub", Arithmetic.sub(planMemo: ShapePairMemo()), Arithmetic.sub),
            ("Mul", Arithmetic.mul(planMemo: ShapePairMemo()), Arithmetic.mul),
            ("Div", Arithmetic.div(planMemo: ShapePairMemo()), Arithmetic.div),
        ]
        for (op, remembering, fresh) in ops {
            let node = Node(name: op.lowercased(), opType: op, inputs: ["a", "b"], outputs: ["y"])
            for (index, (a, b)) in calls.enumerated() {
                let got = try remembering(node, [a, b])[0], want = try fresh(node, [a, b])[0]
                XCTAssertEqual(got.shape, want.shape, "\(op) call \(index)")
                XCTAssertEqual(got.floats, want.floats, "\(op) call \(index)")
                XCTAssertEqual(got.ints, want.ints, "\(op) call \(index)")
            }
            XCTAssertThrowsError(try remembering(node, [floats([2, 3], 1), floats([4], 1)]), op)
        }
    }

    /// [N,C,H,W] + [C,1,1] merges H and W into one inner axis where the
    /// bias is a scalar.
    func testChannelBroadcastMergesAxes() throws {
        let plan = try XCTUnwrap(BroadcastPlan([[2, 3, 4, 5], [3, 1, 1]]))
        XCTAssertEqual(plan.outputShape, [2, 3, 4, 5])
        XCTAssertEqual(plan.dims, [2, 3, 20])
        XCTAssertEqual(plan.strides[0], [60, 20, 1])
        XCTAssertEqual(plan.strides[1], [0, 1, 0])
    }

    func testSameShapeAndScalarBecomeOneAxis() throws {
        let same = try XCTUnwrap(BroadcastPlan([[2, 3, 4], [2, 3, 4]]))
        XCTAssertEqual(same.dims, [24])
        XCTAssertEqual(same.strides, [[1], [1]])
        let scalar = try XCTUnwrap(BroadcastPlan([[2, 3], []]))
        XCTAssertEqual(scalar.dims, [6])
        XCTAssertEqual(scalar.strides, [[1], [0]])
    }

    func testUnidirectionalPlanRejectsGrowingTheTarget() {
        XCTAssertNotNil(BroadcastPlan([[3, 1], [1]], to: [3, 1]))
        XCTAssertNil(BroadcastPlan([[3, 1], [3, 4]], to: [3, 1]))
        XCTAssertNil(BroadcastPlan([[2, 3, 4]], to: [3, 4]))
    }

    /// The general strided path against a hand-computed outer sum.
    func testOuterSum() throws {
        let plan = try XCTUnwrap(BroadcastPlan([[3, 1], [1, 4]]))
        let out = Broadcasting.map([Float(0), 10, 20], [Float(1), 2, 3, 4], plan: plan) { $0 + $1 }
        XCTAssertEqual(out, [1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24])
        let three = try XCTUnwrap(BroadcastPlan([[2, 1], [3], []]))
        let picked = Broadcasting.map3([Int64(1), 0], [Float(1), 2, 3], [Float(-1)], plan: three) { $0 != 0 ? $1 : $2 }
        XCTAssertEqual(picked, [1, 2, 3, -1, -1, -1])
    }

    func testEmptyOutput() throws {
        let plan = try XCTUnwrap(BroadcastPlan([[1, 0], [3, 1]]))
        XCTAssertEqual(plan.outputShape, [3, 0])
        XCTAssertEqual(Broadcasting.map([Float](), [Float(1), 2, 3], plan: plan) { $0 + $1 }, [])
    }
}
