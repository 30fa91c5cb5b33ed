import Foundation
import XCTest
@testable import LatheCore

/// A small sequence classifier with a bidirectional LSTM and a GRU
/// (Fixtures/kernels/recurrent_model.onnx, written by
/// make_recurrent_fixtures.py): it runs end to end as onnxruntime does, and
/// the recurrent W and R tensors are weight layers with gate-row axes that
/// every compression method handles.
final class RecurrentModelTests: XCTestCase {
    static let directory = KernelFixture.fixturesDirectory

    func loadSession() throws -> (InferenceSession, Tensor) {
        let model = try ONNXReader.read(path: Self.directory.appendingPathComponent("recurrent_model.onnx").path)
        let arrays = try NPZFormat.read(path: Self.directory.appendingPathComponent("recurrent_model.npz").path)
        let x = try XCTUnwrap(arrays.first { $0.name == "x" }?.tensor)
        let session = try InferenceSession(model: model, sampleShape: Array(x.shape.dropFirst()))
        return (session, x)
    }

    func testMatchesOnnxruntimeAtSeveralBatchSizes() throws {
        let (session, x) = try loadSession()
        let reference = try NPYFormat.read(path: Self.directory.appendingPathComponent("recurrent_model.reference.npy").path)
        let whole = try session.run(x).output
        XCTAssertNil(RecurrentKernelTests.difference(whole, reference))
        // Batches of 5, 5 and 2 give the same rows.
        let perSample = x.count / x.shape[0], classes = reference.shape[1]
        var start = 0
        while start < x.shape[0] {
            let end = min(start + 5, x.shape[0])
            let batch = Tensor(shape: [end - start] + Array(x.shape.dropFirst()),
                               floats: Array(x.floats[(start * perSample)..<(end * perSample)]))
            let part = try session.run(batch).output
            let want = Tensor(shape: [end - start, classes],
                              floats: Array(reference.floats[(start * classes)..<(end * classes)]))
            XCTAssertNil(RecurrentKernelTests.difference(part, want), "rows \(start)..<\(end)")
            start = end
        }
    }

    func testWAndRAreLayersWithGateRowAxes() throws {
        let (session, _) = try loadSession()
        let layers = session.layers
        XCTAssertEqual(layers.map(\.name), ["lstm.W", "lstm.R", "gru.W", "gru.R", "fc.weight"])
        let byName = Dictionary(uniqueKeysWithValues: layers.map { ($0.name, $0) })
        let lstmW = try XCTUnwrap(byName["lstm.W"]), lstmR = try XCTUnwrap(byName["lstm.R"])
        let gruW = try XCTUnwrap(byName["gru.W"]), gruR = try XCTUnwrap(byName["gru.R"])
        XCTAssertEqual(lstmW.op, .lstm)
        XCTAssertEqual(gruR.op, .gru)
        XCTAssertEqual(lstmW.shape, [2, 32, 6])
        XCTAssertEqual(lstmR.shape, [2, 32, 8])
        XCTAssertEqual(gruW.shape, [1, 15, 16])
        for layer in [lstmW, lstmR, gruW, gruR] {
            XCTAssertEqual(layer.channelAxis, 1, layer.name)
            XCTAssertEqual(layer.reductionAxis, 2, layer.name)
            XCTAssertEqual(layer.biasName, layer.name.hasPrefix("lstm") ? "lstm.B" : "gru.B")
        }
        XCTAssertFalse(lstmW.isRecurrence)
        XCTAssertTrue(lstmR.isRecurrence)
        // MACs per sample: every weight once per time step (7).
        XCTAssertEqual(lstmW.macs, 2 * 32 * 6 * 7)
        XCTAssertEqual(lstmR.macs, 2 * 32 * 8 * 7)
        XCTAssertEqual(gruW.macs, 15 * 16 * 7)
        XCTAssertEqual(gruR.macs, 15 * 5 * 7)
        // The data of both is X (what the activation cache keeps).
        XCTAssertEqual(session.layerInputName(lstmR), "x_t")
        XCTAssertEqual(session.layerInputName(gruW), "gru_x")
        // B is not a layer and stays float.
        XCTAssertNil(byName["lstm.B"])
    }

    func testEveryCompressionMethodHandlesRecurrentWeights() throws {
        let (session, x) = try loadSession()
        let layers = session.layers
        let lstmW = try XCTUnwrap(layers.first { $0.name == "lstm.W" })
        let weight = try XCTUnwrap(session.weights["lstm.W"])
        let settingsList: [LayerSettings] = [
            LayerSettings(bits: .integer(4)),
            LayerSettings(bits: .integer(3), scheme: .asymmetric, granularity: .perTensor),
            LayerSettings(bits: .integer(8), prune: 0.5, structure: .channel),
            LayerSettings(bits: .integer(8), prune: 0.5, structure: .twoFour),
            LayerSettings(prune: 0.3),
            LayerSettings(clusters: 4),
            LayerSettings(bits: .fp16),
            LayerSettings(bits: .integer(8), rank: 0.5),
        ]
        for settings in settingsList {
            let compressed = try Compressor.compress(weight, layer: lstmW, settings: settings)
            XCTAssertEqual(compressed.shape, weight.shape)
            XCTAssertNotEqual(compressed.floats, weight.floats, "\(settings)")
            // The whole model runs with every layer compressed so.
            let plan = CompressionPlan(layers: layers, defaults: settings)
            let options = RunOptions(weights: try Compressor.compress(weights: session.weights, layers: layers, plan: plan))
            let output = try session.run(x, options: options).output
            XCTAssertEqual(output.shape, [12, 5])
            XCTAssertTrue(output.floats.allSatisfy(\.isFinite))
            let size = SizeModel.report(tensors: session.weights, layers: layers, plan: plan)
            XCTAssertGreaterThan(size.baselineBytes, 0)
        }

        // Per-channel scales run along the gate rows (axis 1), over both directions.
        let four = try Compressor.compress(weight, layer: lstmW, settings: LayerSettings(bits: .integer(4)))
        for row in 0..<32 {
            var values: [Float] = []
            for d in 0..<2 { values += four.floats[((d * 32 + row) * 6)..<((d * 32 + row) * 6 + 6)] }
            let scale = (values.map(abs).max() ?? 0) / 7
            guard scale > 0 else { continue }
            for value in values { XCTAssertEqual((value / scale).rounded(), value / scale, accuracy: 1e-3, "row \(row)") }
        }
        // Channel pruning removes whole gate rows in both directions.
        let pruned = try Compressor.compress(weight, layer: lstmW,
                                             settings: LayerSettings(prune: 0.25, structure: .channel))
        let zeroRows = (0..<32).filter { row in
            (0..<2).allSatisfy { d in pruned.floats[((d * 32 + row) * 6)..<((d * 32 + row) * 6 + 6)].allSatisfy { $0 == 0 } }
        }
        XCTAssertEqual(zeroRows.count, 8)
        // 2:4 along the input axis: 6 inputs = one group of 4 (2 kept) and a trailing pair (both kept).
        let sparse = try Compressor.compress(weight, layer: lstmW,
                                             settings: LayerSettings(prune: 0.5, structure: .twoFour))
        for line in 0..<(2 * 32) {
            let group = sparse.floats[(line * 6)..<(line * 6 + 4)]
            XCTAssertEqual(group.filter { $0 == 0 }.count, 2, "line \(line)")
        }
        // Low rank is per direction: rank 0.5 of [32, 6] keeps 3 singular values per direction.
        let lowRank = try Compressor.compress(weight, layer: lstmW, settings: LayerSettings(rank: 0.5))
        for d in 0..<2 {
            let block = Array(lowRank.floats[(d * 192)..<((d + 1) * 192)])
            XCTAssertEqual(Self.numericalRank(block, rows: 32, columns: 6), 3, "direction \(d)")
        }
        let size = SizeModel.tensorSize(layer: lstmW, dtype: .float32, settings: LayerSettings(rank: 0.5))
        XCTAssertEqual(size.storedWeights, 2 * 3 * (32 + 6))
    }

    func testActivationBitsAreRefusedOnRButApplyToW() throws {
        let (session, x) = try loadSession()
        let layers = session.layers
        let lstmR = try XCTUnwrap(layers.first { $0.name == "lstm.R" })
        let problem = LayerSettings(bits: .integer(8), activationBits: 8).problem(for: lstmR)
        XCTAssertEqual(problem?.key, "abits")
        XCTAssertTrue(problem?.message.contains("hidden state") ?? false)
        let plan = CompressionPlan(layers: layers, settings: ["lstm.W": LayerSettings(activationBits: 8)])
        XCTAssertNoThrow(try plan.validate(layers: layers))
        _ = x
    }

    /// Singular values above 1e-4 of the largest, by Gram-matrix eigenvalues (columns ≤ rows).
    static func numericalRank(_ matrix: [Float], rows: Int, columns: Int) -> Int {
        // Gaussian elimination with partial pivoting on the row-major matrix in float64.
        var m = matrix.map(Double.init)
        var rank = 0
        let scale = m.map(abs).max() ?? 1
        for column in 0..<columns {
            guard rank < rows else { break }
            let pivot = (rank..<rows).max { abs(m[$0 * columns + column]) < abs(m[$1 * columns + column]) } ?? rank
            guard abs(m[pivot * columns + column]) > 1e-4 * scale else { continue }
            for k in 0..<columns { m.swapAt(rank * columns + k, pivot * columns + k) }
            for row in (rank + 1)..<rows {
                let factor = m[row * columns + column] / m[rank * columns + column]
                for k in column..<columns { m[row * columns + k] -= factor * m[rank * columns + k] }
            }
            rank += 1
        }
        return rank
    }
}
