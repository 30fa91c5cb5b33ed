import XCTest
@testable import LatheCore

/// The peak of a run's values, counted from the compiled graph's shapes.
final class ActivationFootprintTests: XCTestCase {
    /// a = Relu(x), b = Neg(a), y = a + b: a is still live when y is written, so the peak holds three of the four
    /// values (x is dead once a exists).
    func testTheResidualKeepsItsInputLiveToTheEnd() throws {
        let nodes = [Node(opType: "Relu", inputs: ["x"], outputs: ["a"]),
                     Node(opType: "Neg", inputs: ["a"], outputs: ["b"]),
                     Node(opType: "Add", inputs: ["a", "b"], outputs: ["y"])]
        let model = Model(graph: Graph(nodes: nodes, initializers: [:],
                                       inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(1000)])],
                                       outputs: [ValueInfo(name: "y", dtype: .float32, dims: nil)]),
                          opset: 17, path: "residual.onnx")
        let session = try InferenceSession(model: model, sampleShape: [1000])
        XCTAssertEqual(session.activationBytesPerSample(), 3 * 4000)
        XCTAssertEqual(ActivationFootprint.peakBytes(of: try session.compiled(batchSize: 5)), 5 * 3 * 4000)
    }

    /// The FPN detector's peak grows with the batch, sample for sample, and holds at least its largest map (while
    /// it is written, the map is live).
    func testTheDetectorsPeakScalesWithTheBatch() throws {
        let (session, _) = try LiveFixtures.sample("fpn_detector")
        let one = try XCTUnwrap(session.activationBytesPerSample())
        let three = ActivationFootprint.peakBytes(of: try session.compiled(batchSize: 3))
        XCTAssertEqual(Double(three), Double(3 * one), accuracy: 0.001 * Double(three))
        let graph = try session.compiled(batchSize: 1)
        let largest = graph.shapes.filter { graph.slotOfName[$0.key].map { graph.constants[$0] == nil } ?? false }
            .values.map { $0.reduce(1, *) * 4 }.max() ?? 0
        XCTAssertGreaterThan(largest, 3 * 512 * 512 * 4 / 2)
        XCTAssertGreaterThan(one, largest)
    }

    /// A model whose input fixes the batch has no per-sample figure: its batch is not Lathe's to choose.
    func testAFixedBatchHasNoPerSampleFigure() throws {
        let (session, _) = try LiveFixtures.sample("detector_b1")
        XCTAssertNotNil(session.fixedBatch)
        XCTAssertNil(session.activationBytesPerSample())
    }
}
