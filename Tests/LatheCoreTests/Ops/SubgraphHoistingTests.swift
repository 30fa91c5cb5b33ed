import Foundation
import XCTest
@testable import LatheCore

/// A Loop or Scan body's steps that read only values fixed for the whole loop (captured values, carried
/// values the body passes on unchanged, constants) run once per loop, and the results are those of running
/// every step in every iteration.
final class SubgraphHoistingTests: XCTestCase {
    /// Counts calls per op, passing them on to the registry's kernels.
    final class CallCounter: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        func count(_ op: String) -> Int { lock.withLock { counts[op] ?? 0 } }
        func record(_ op: String) { lock.withLock { counts[op, default: 0] += 1 } }

        func kernels() -> [String: Kernel] {
            let plain = OpRegistry.kernels(opset: OpRegistry.newestOpset).filter { !["Loop", "Scan", "If"].contains($0.key) }
            var counted: [String: Kernel] = [:]
            for (op, kernel) in plain {
                counted[op] = { [self] node, inputs in
                    record(op)
                    return try kernel(node, inputs)
                }
            }
            return OpRegistry.addingSubgraphOps(to: counted, opset: OpRegistry.newestOpset)
        }
    }

    private func values(_ names: [String]) -> [ValueInfo] { names.map { ValueInfo(name: $0, dtype: nil, dims: nil) } }

    /// h ← h · Wᵀ + b, four times, with W carried through the loop unchanged (as Paddle exports its decoders'
    /// weights) and b captured from the graph around it (an explicit input, as `SubgraphCaptures` makes it).
    func testLoopRunsStepsOfFixedValuesOnce() throws {
        let body = Graph(nodes: [
            Node(opType: "Transpose", inputs: ["w_in"], outputs: ["wt"]),
            Node(opType: "Constant", inputs: [], outputs: ["two"], attributes: ["value": .tensor(.scalar(2))]),
            Node(opType: "Mul", inputs: ["b", "two"], outputs: ["b2"]),
            Node(opType: "MatMul", inputs: ["h_in", "wt"], outputs: ["hw"]),
            Node(opType: "Add", inputs: ["hw", "b2"], outputs: ["h_out"]),
            Node(opType: "Identity", inputs: ["c_in"], outputs: ["c_out"]),
        ], initializers: [:], inputs: values(["i", "c_in", "w_in", "h_in", "b"]),
           outputs: values(["c_out", "w_in", "h_out"]))
        let loop = Node(name: "decode", opType: "Loop", inputs: ["n", "", "w", "h0", "b"], outputs: ["w_final", "h"],
                        attributes: ["body": .graph(body), SubgraphCaptures.attribute: .int(1)])
        let w = Tensor(shape: [2, 2], floats: [0.5, -1, 2, 0.25])
        let h0 = Tensor(shape: [1, 2], floats: [1, 3])
        let b = Tensor(shape: [2], floats: [0.125, -0.5])
        let counter = CallCounter()
        guard let kernel = counter.kernels()["Loop"] else { return XCTFail("no Loop kernel") }
        let outputs = try kernel(loop, [.scalar(int: 4), nil, w, h0, b])

        var h = h0.floats
        for _ in 0..<4 {
            h = [h[0] * 0.5 + h[1] * -1 + 0.25, h[0] * 2 + h[1] * 0.25 - 1]
        }
        XCTAssertEqual(outputs[0], w)
        XCTAssertEqual(outputs[1].shape, [1, 2])
        XCTAssertEqual(outputs[1].floats, h)
        XCTAssertEqual(counter.count("Transpose"), 1)
        XCTAssertEqual(counter.count("Constant"), 1)
        XCTAssertEqual(counter.count("Mul"), 1)
        XCTAssertEqual(counter.count("MatMul"), 4)
        XCTAssertEqual(counter.count("Add"), 4)
    }

    /// A carried value the body changes is not fixed, though it starts equal to a fixed one.
    func testCarriedValueTheBodyChangesIsRecomputed() throws {
        let body = Graph(nodes: [
            Node(opType: "Transpose", inputs: ["w_in"], outputs: ["w_out"]),
            Node(opType: "Identity", inputs: ["c_in"], outputs: ["c_out"]),
        ], initializers: [:], inputs: values(["i", "c_in", "w_in"]), outputs: values(["c_out", "w_out"]))
        let loop = Node(name: "flip", opType: "Loop", inputs: ["n", "", "w"], outputs: ["w_final"],
                        attributes: ["body": .graph(body)])
        let w = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let counter = CallCounter()
        guard let kernel = counter.kernels()["Loop"] else { return XCTFail("no Loop kernel") }
        let outputs = try kernel(loop, [.scalar(int: 3), nil, w])
        XCTAssertEqual(outputs[0], Tensor(shape: [3, 2], floats: [1, 4, 2, 5, 3, 6]))
        XCTAssertEqual(counter.count("Transpose"), 3)
    }

    /// Scan: the captured weight's transpose runs once for all steps.
    func testScanRunsStepsOfCapturedValuesOnce() throws {
        let body = Graph(nodes: [
            Node(opType: "Transpose", inputs: ["w"], outputs: ["wt"]),
            Node(opType: "MatMul", inputs: ["x_t", "wt"], outputs: ["y_t"]),
            Node(opType: "Add", inputs: ["s_in", "y_t"], outputs: ["s_out"]),
        ], initializers: [:], inputs: values(["s_in", "x_t", "w"]), outputs: values(["s_out", "y_t"]))
        let scan = Node(name: "scan", opType: "Scan", inputs: ["s0", "x", "w"], outputs: ["s", "y"],
                        attributes: ["body": .graph(body), "num_scan_inputs": .int(1),
                                     SubgraphCaptures.attribute: .int(1)])
        let x = Tensor(shape: [3, 1, 2], floats: [1, 0, 0, 1, 1, 1])
        let w = Tensor(shape: [2, 2], floats: [1, 2, 3, 4])
        let counter = CallCounter()
        guard let kernel = counter.kernels()["Scan"] else { return XCTFail("no Scan kernel") }
        let outputs = try kernel(scan, [Tensor(shape: [1, 2], floats: [0, 0]), x, w])
        // x_t · Wᵀ: [1,0] → [1,3]; [0,1] → [2,4]; [1,1] → [3,7].
        XCTAssertEqual(outputs[1], Tensor(shape: [3, 1, 2], floats: [1, 3, 2, 4, 3, 7]))
        XCTAssertEqual(outputs[0], Tensor(shape: [1, 2], floats: [6, 14]))
        XCTAssertEqual(counter.count("Transpose"), 1)
        XCTAssertEqual(counter.count("MatMul"), 3)
    }
}
