import Foundation
import XCTest
@testable import LatheCore

/// `--format safetensors`: read back by Lathe's own safetensors reader (which validates every span) and
/// dequantized by the README's formula, the codes give the Compressor's weights bit for bit.
final class QuantizedSafetensorsTests: XCTestCase {
    /// `(code − zero_point) · scale` per row of axis 0, the codes unpacked low nibble first when 4-bit.
    private func dequantize(_ file: WeightCheckpoint, _ name: String, shape: [Int], bits: Int,
                            asymmetric: Bool, perChannel: Bool) throws -> [Float] {
        func bytes(_ tensorName: String) throws -> [UInt8] {
            let tensor = try XCTUnwrap(file.tensors.first { $0.name == tensorName }, tensorName)
            return Array(tensor.file.bytes(tensor.byteRange))
        }
        let stored = try bytes(name)
        let scaleBytes = try bytes(name + ".scale")
        let scales = stride(from: 0, to: scaleBytes.count, by: 4).map { i in
            Float(bitPattern: UInt32(scaleBytes[i]) | UInt32(scaleBytes[i + 1]) << 8 | UInt32(scaleBytes[i + 2]) << 16
                  | UInt32(scaleBytes[i + 3]) << 24)
        }
        let zeros = asymmetric ? try bytes(name + ".zero_point").map(Int32.init) : [Int32](repeating: 0, count: scales.count)
        let count = shape.reduce(1, *)
        let row = shape.last ?? count
        var codes: [Int32] = []
        if bits <= 4 {
            let packedRow = (row + 1) / 2
            for r in 0..<(count / row) {
                for j in 0..<row {
                    let byte = stored[r * packedRow + j / 2]
                    let nibble = Int32(j % 2 == 0 ? byte & 0x0F : byte >> 4)
                    codes.append(!asymmetric && nibble >= 8 ? nibble - 16 : nibble)
                }
            }
        } else {
            codes = stored.map { asymmetric ? Int32($0) : Int32(Int8(bitPattern: $0)) }
        }
        let perRow = count / shape[0]
        return codes.indices.map { i in
            let channel = perChannel ? i / perRow : 0
            return Float(codes[i] - zeros[channel]) * scales[channel]
        }
    }

    func testCodesDequantizeToTheCompressedWeightsOfARealCheckpoint() throws {
        let folder = try TemporaryFolder()
        let (input, tensors) = try CheckpointExportFixtures.safetensors(in: folder)
        let checkpoint = try WeightCheckpoint.open(path: input)
        let layers = checkpoint.layerTensors.map(CheckpointEvaluator.layer)
        XCTAssertEqual(layers.count, tensors.filter { $0.tensor.shape.count >= 2 }.count)
        // Every packing: int4 symmetric per channel, int8 asymmetric, int3 per tensor, int6 symmetric.
        let chosen: [(bits: Int, scheme: QuantizationScheme, granularity: Granularity)] = [
            (4, .symmetric, .perChannel), (8, .asymmetric, .perChannel), (3, .symmetric, .perTensor),
            (6, .symmetric, .perChannel), (4, .asymmetric, .perChannel),
        ]
        var plan = CompressionPlan.identity(layers: layers)
        for (layer, choice) in zip(layers, chosen) {
            plan.set(LayerSettings(bits: .integer(choice.bits), scheme: choice.scheme, granularity: choice.granularity),
                     for: layer.name)
        }
        let out = folder.path("quantized.safetensors")
        let summary = try QuantizedSafetensors.write(checkpoint: checkpoint, plan: plan, to: out)
        XCTAssertEqual(summary.quantized, min(layers.count, chosen.count))
        XCTAssertEqual(try folder.contents().filter { $0.hasSuffix(".tmp") }, [], "no temporary file left")

        let written = try WeightCheckpoint.open(path: out)
        for (layer, choice) in zip(layers, chosen) {
            let original = try XCTUnwrap(tensors.first { $0.name == layer.name }?.tensor)
            let settings = plan.settings(for: layer.name)
            let expected = try Compressor.compress(original, layer: layer, settings: settings).floats
            let decoded = try dequantize(written, layer.name, shape: layer.shape, bits: choice.bits,
                                         asymmetric: choice.scheme == .asymmetric,
                                         perChannel: choice.granularity == .perChannel)
            XCTAssertEqual(decoded.map(\.bitPattern), expected.map { $0 == 0 ? Float(0).bitPattern : $0.bitPattern },
                           "\(layer.name) \(choice)")
            let stored = try XCTUnwrap(written.tensors.first { $0.name == layer.name })
            XCTAssertEqual(stored.encoding, .integer(choice.bits <= 4 || choice.scheme == .asymmetric ? "U8" : "I8"))
        }
        // Uncompressed tensors keep their dtype and bytes.
        for name in ["position_ids"] + tensors.filter({ $0.tensor.shape.count < 2 }).map(\.name) {
            let a = try XCTUnwrap(checkpoint.tensors.first { $0.name == name })
            let b = try XCTUnwrap(written.tensors.first { $0.name == name })
            XCTAssertEqual(a.encoding, b.encoding, name)
            XCTAssertEqual(Array(a.file.bytes(a.byteRange)), Array(b.file.bytes(b.byteRange)), name)
        }
        XCTAssertLessThan(summary.fileBytes, checkpoint.storedBytes / 3)
    }

    func testMetadataRecordsVersionPackingAndEachTensor() throws {
        let folder = try TemporaryFolder()
        let (input, _) = try CheckpointExportFixtures.safetensors(in: folder)
        let checkpoint = try WeightCheckpoint.open(path: input)
        let layers = checkpoint.layerTensors.map(CheckpointEvaluator.layer)
        var plan = CompressionPlan.identity(layers: layers)
        plan.set(LayerSettings(bits: .integer(4)), for: layers[0].name)
        plan.set(LayerSettings(bits: .fp16), for: layers[1].name)
        let out = folder.path("q.safetensors")
        _ = try QuantizedSafetensors.write(checkpoint: checkpoint, plan: plan, to: out)
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        let size = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(size % 8, 0, "header padded to 8 bytes")
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + size))) as? [String: Any])
        let metadata = try XCTUnwrap(header["__metadata__"] as? [String: String])
        XCTAssertEqual(metadata["lathe.version"], LatheVersion.string)
        XCTAssertTrue(metadata["lathe.packing"]?.contains("low nibble first") == true)
        let first = try XCTUnwrap(metadata["lathe.tensor." + layers[0].name])
        let info = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        XCTAssertEqual(info["storage"] as? String, "int4 packed")
        XCTAssertEqual(info["bits"] as? Int, 4)
        XCTAssertEqual(info["shape"] as? [Int], layers[0].shape)
        XCTAssertEqual((header[layers[1].name] as? [String: Any])?["dtype"] as? String, "F16")
        XCTAssertNil(header[layers[1].name + ".scale"])
    }

    func testDataHungryMethodsAreRefused() throws {
        let folder = try TemporaryFolder()
        let (input, _) = try CheckpointExportFixtures.safetensors(in: folder)
        let checkpoint = try WeightCheckpoint.open(path: input)
        let layers = checkpoint.layerTensors.map(CheckpointEvaluator.layer)
        var plan = CompressionPlan.identity(layers: layers)
        plan.set(LayerSettings(bits: .integer(4), method: .gptq), for: layers[0].name)
        let out = folder.path("q.safetensors")
        assertBadInput(try QuantizedSafetensors.write(checkpoint: checkpoint, plan: plan, to: out), file: input,
                       mentions: "gptq")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
}
