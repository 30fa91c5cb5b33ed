import Foundation
import LatheCore
import Testing
@testable import LatheUI

/// The explorer on samples/mobilenet_qdq (onnxruntime's quantize_static, QDQ): every layer is an
/// int8 weight behind DequantizeLinear. The table and the detail say so, the baseline is the
/// integer storage, and new settings are shown as the compression of the dequantized values.
@Suite struct StoredQuantizationViewTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func state(width: Int = 200, height: Int = 50) throws -> (AppState, InferenceSession) {
        let folder = root.appendingPathComponent("samples/mobilenet_qdq")
        let data = try Dataset.load(path: folder.appendingPathComponent("data.npz").path)
        let session = try InferenceSession(model: ONNXReader.read(path: folder.appendingPathComponent("model.onnx").path),
                                           data: data.layout)
        let info = SessionInfo(modelPath: "samples/mobilenet_qdq/model.onnx", modelName: "mobilenet_qdq/model.onnx",
                               dataPath: "samples/mobilenet_qdq/data.npz", dataName: "data.npz", samples: data.count,
                               labelled: true, output: session.outputName)
        var state = AppState(session: info, layers: LayerInfo.all(in: session), plan: .identity(layers: session.layers),
                             exportPath: "mobilenet_qdq.lathe.yaml", size: TerminalSize(width: width, height: height))
        _ = Explorer.initialEffects(&state)
        return (state, session)
    }

    @Test func layersCarryTheirStoredBitsAndIntegerBaseline() throws {
        let (state, session) = try Self.state()
        #expect(state.layers.count == 10)
        for (info, layer) in zip(state.layers, session.layers) {
            let stored = try #require(info.stored, "\(info.name)")
            #expect(stored.summary == (layer.op == .conv ? "int8 symmetric per-channel" : stored.summary))
            // int8 payload + a float32 scale and an int8 zero point per channel, not 4 bytes per weight.
            #expect(info.baselineBytes == stored.size.total)
            #expect(info.baselineBytes == layer.params + 5 * layer.channels, "\(info.name)")
        }
    }

    @Test func theTableAndTheDetailShowTheStoredBits() throws {
        let (state, _) = try Self.state()
        let screen = ExplorerView.renderText(state, width: 200, height: 50)
        let rows = screen.split(separator: "\n").filter { $0.contains("Conv") && $0.contains("int8 stored") }
        #expect(rows.count >= 9, "\(screen)")
        #expect(screen.contains("as stored: int8 symmetric per-channel"), "\(screen)")
        #expect(screen.contains("stored int8 symmetric per-channel (8 bits) 224 B"), "\(screen)")
        #expect(screen.contains("bytes 224 B (int8 stored)"), "\(screen)")
        #expect(!rows.contains { $0.contains("fp32") }, "an unchanged int8 layer is not float32: \(screen)")
    }

    /// Lowering the bits compresses the layer from its dequantized values: the table shows the new
    /// width, the detail the new settings, and the size model prices them against the int8 baseline.
    @Test func newSettingsReplaceTheStoredOnes() throws {
        var (state, session) = try Self.state()
        ExplorerFixture.run(&state, ExplorerFixture.keys("hhhhhh"))  // fp16, 8, 7, 6, 5, 4
        let first = state.layers[0]
        #expect(state.settings(of: first).bits == .integer(4))
        let screen = ExplorerView.renderText(state, width: 200, height: 50)
        #expect(screen.contains("4-bit symmetric per-channel"), "\(screen)")
        #expect(!screen.contains("as stored:"), "\(screen)")
        let row = screen.split(separator: "\n").first { $0.contains("int4") }
        #expect(row != nil, "\(screen)")
        let report = SizeModel.report(tensors: session.weights, layers: session.layers, plan: state.plan)
        let cost = try #require(report.layers.first { $0.name == first.name })
        #expect(cost.baselineBytes == first.baselineBytes)
        #expect(cost.size.total < first.baselineBytes)
    }
}
