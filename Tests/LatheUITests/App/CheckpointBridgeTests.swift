import Foundation
import LatheCore
import Testing
@testable import LatheUI

/// The explorer's seam for weights-only checkpoints: a safetensors file written here, effects in,
/// actions out through the UI mailbox; the numbers equal LatheCore's per-layer SQNR and size model.
@Suite struct CheckpointBridgeTests {
    static func le<T: FixedWidthInteger>(_ value: T) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }

    static func values(_ count: Int, scale: Float) -> [Float] {
        (0..<count).map { (i: Int) -> Float in
            let code = Float((i * 29) % 23) - 11
            return code * scale * (i % 7 == 0 ? 3 : 1)
        }
    }

    /// `a.weight` F32 [6, 16], `b.weight` F16 [4, 8], `norm` F32 [8].
    final class Harness {
        let directory: URL
        let evaluator: CheckpointEvaluator
        let mailbox = UIMailbox<Action>(wakeSignal: WakeSignal())
        let bridge: CheckpointBridge
        let a = CheckpointBridgeTests.values(96, scale: 0.01)
        let b = HalfPrecision.rounded(CheckpointBridgeTests.values(32, scale: 0.125), to: .float16)

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-ckpt-ui-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var payload = a.reduce(into: Data()) { $0 += CheckpointBridgeTests.le($1.bitPattern) }
            payload += b.reduce(into: Data()) { $0 += CheckpointBridgeTests.le(HalfPrecision.float16Bits(from: $1)) }
            payload += [Float](repeating: 1, count: 8).reduce(into: Data()) { $0 += CheckpointBridgeTests.le($1.bitPattern) }
            let header = """
                {"a.weight": {"dtype": "F32", "shape": [6, 16], "data_offsets": [0, 384]},
                 "b.weight": {"dtype": "F16", "shape": [4, 8], "data_offsets": [384, 448]},
                 "norm": {"dtype": "F32", "shape": [8], "data_offsets": [448, 480]}}
                """
            let path = directory.appendingPathComponent("model.safetensors").path
            try (CheckpointBridgeTests.le(UInt64(header.utf8.count)) + Data(header.utf8) + payload)
                .write(to: URL(fileURLWithPath: path))
            evaluator = CheckpointEvaluator(checkpoint: try WeightCheckpoint.open(path: path))
            let session = SessionInfo(modelPath: path, modelName: "model.safetensors", dataPath: "", dataName: "no data",
                                      samples: 0, labelled: false, metric: .sqnr, output: "")
            bridge = CheckpointBridge(evaluator: evaluator, mailbox: mailbox, session: session)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        /// Actions posted until `match` picks one (or 60 s pass).
        func wait<T>(_ match: (Action) -> T?) -> T? {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                for action in mailbox.drain() { if let found = match(action) { return found } }
                usleep(2000)
            }
            return nil
        }

        func finalStatus(revision: Int) -> EngineStatus? {
            wait { action in
                if case .engine(let status) = action, status.revision == revision, status.isFinal || status.error != nil {
                    return status
                }
                return nil
            }
        }
    }

    @Test func layersAreTheFloatTensorsOfRankTwoWithTheirStoredType() throws {
        let harness = try Harness()
        let layers = LayerInfo.all(in: harness.evaluator)
        #expect(layers.map(\.name) == ["a.weight", "b.weight"])
        #expect(layers.map(\.op) == ["F32", "F16"])
        #expect(layers.map(\.baselineBytes) == [384, 64])
        #expect(layers[0].stats == WeightStats(harness.a))
        #expect(layers[1].histogram == Histogram(harness.b, bins: 128))
    }

    @Test func aPlanReportsItsSizeAndParamWeightedSQNR() throws {
        let harness = try Harness()
        harness.bridge.perform(.applyPlan(.identity(layers: harness.evaluator.layers), revision: 1))
        let identity = try #require(harness.finalStatus(revision: 1))
        #expect(identity.value == .infinity)
        #expect(identity.sizeBytes == 480 && identity.baselineBytes == 480 && identity.compressionRatio == 1)

        var plan = CompressionPlan.identity(layers: harness.evaluator.layers)
        plan.set(LayerSettings(bits: .integer(4)), for: "a.weight")
        plan.set(LayerSettings(bits: .integer(2)), for: "b.weight")
        harness.bridge.perform(.applyPlan(plan, revision: 2))
        let status = try #require(harness.finalStatus(revision: 2))
        #expect(status.error == nil)
        let layers = harness.evaluator.layers
        let sqnrA = try SensitivitySweep.sqnr(weight: Tensor(shape: [6, 16], floats: harness.a), layer: layers[0], bits: 4)
        let sqnrB = try SensitivitySweep.sqnr(weight: Tensor(shape: [4, 8], floats: harness.b), layer: layers[1], bits: 2)
        let expected = BitAllocation.weightedSQNR(params: [96, 32], sqnrDB: [sqnrA, sqnrB])
        #expect(abs((status.value ?? 0) - expected) < 1e-9)
        let sizeA = SizeModel.tensorSize(layer: layers[0], dtype: .float32, settings: plan.settings(for: "a.weight")).size.total
        let sizeB = SizeModel.tensorSize(layer: layers[1], dtype: .float16, settings: plan.settings(for: "b.weight")).size.total
        #expect(status.sizeBytes == 32 + sizeA + sizeB)
        #expect(status.layerSizes["a.weight"]?.total == sizeA)
    }

    @Test func aSweepFillsTheHeatmapWithDataFreeSQNR() throws {
        let harness = try Harness()
        harness.bridge.perform(.startSweep)
        let data = try #require(harness.wait { action -> SensitivityData? in
            if case .sensitivity(let data) = action { return data }
            return nil
        })
        #expect(data.isComplete && data.metric == .sqnr)
        #expect(data.levels == EngineBridge.sweepLevels.bits.map { .bits($0) })
        let weight = Tensor(shape: [6, 16], floats: harness.a)
        for bits in EngineBridge.sweepLevels.bits {
            let expected = try SensitivitySweep.sqnr(weight: weight, layer: harness.evaluator.layers[0], bits: bits)
            let cell = try #require(data.layers["a.weight"]?.cells[.bits(bits)])
            #expect(abs(cell.value - expected) < 1e-9 * abs(expected))
        }
    }

    @Test func theSearchSaysItNeedsData() throws {
        let harness = try Harness()
        harness.bridge.perform(.startSearch(.maxDrop(0.01)))
        let message = harness.wait { action -> String? in
            if case .effectFailed(let text) = action { return text }
            return nil
        }
        #expect(message?.contains("no data") == true)
    }
}
