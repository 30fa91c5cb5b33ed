import XCTest
@testable import LatheCore

/// A recurrent op whose time axis is the batch (streaming exports that treat
/// each chunk as a time step) makes every output depend on the samples before
/// it; Lathe batches and reorders samples, so such a model is refused at load
/// naming the node, while the same LSTM over a time axis of its own loads.
final class SampleIndependenceTests: XCTestCase {
    typealias M = ExecutorTestModels
    let kernels = OpRegistry.kernels(opset: 17)

    /// LSTM(x) with hidden size 2 over inputs of width 3; `layout` 0 reads x as [T, N, I], 1 as [N, T, I].
    private func lstm(layout: Int) -> Model {
        let weights = (0..<24).map { Float($0 % 5) * 0.1 - 0.2 }, recurrence = (0..<16).map { Float($0 % 3) * 0.1 }
        return M.model([
            Node(name: "rnn", opType: "LSTM", inputs: ["x", "W", "R"], outputs: ["y"],
                 attributes: ["hidden_size": .int(2), "layout": .int(layout)]),
        ], initializers: ["W": M.floats(weights, [1, 8, 3]), "R": M.floats(recurrence, [1, 8, 2])],
           dims: [.symbolic("n"), .fixed(1), .fixed(3)])
    }

    func testRecurrenceOverTheSamplesIsRefusedNamingTheNode() {
        XCTAssertThrowsError(try M.session(lstm(layout: 0), sampleShape: [1, 3], kernels: kernels)) { error in
            let message = (error as? LatheError)?.message ?? "\(error)"
            XCTAssertTrue(message.contains("LSTM node 'rnn' runs over the samples as its time steps"), message)
            XCTAssertTrue(message.contains("[N, 1, 3]"), message)
            XCTAssertTrue(message.contains("test.onnx"), message)
        }
    }

    func testRecurrenceOverItsOwnTimeAxisLoadsAndKeepsSamplesApart() throws {
        // layout 1: x is [N, T = 1, I], the batch is the LSTM's batch.
        let session = try M.session(lstm(layout: 1), sampleShape: [1, 3], kernels: kernels)
        let x = M.floats([1, 2, 3, -1, 0.5, 2], [2, 1, 3])
        let both = try session.run(x).output.floats
        let first = try session.run(M.floats([1, 2, 3], [1, 1, 3])).output.floats
        let second = try session.run(M.floats([-1, 0.5, 2], [1, 1, 3])).output.floats
        XCTAssertEqual(both, first + second)
    }
}
