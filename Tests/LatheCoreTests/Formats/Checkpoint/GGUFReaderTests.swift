import Foundation
import XCTest
@testable import LatheCore

/// GGUF files written byte by byte: metadata, shapes (outermost first), alignment, every block
/// format dequantized as ggml's dequantize_row_* defines it, and damaged files refused.
final class GGUFReaderTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-gguf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func write(_ data: Data, _ name: String = "model-\(UUID().uuidString).gguf") throws -> String {
        let url = scratch.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    func decoded(_ tensor: CheckpointTensor) -> [Float] {
        var values = [Float](repeating: .nan, count: tensor.count)
        values.withUnsafeMutableBufferPointer { tensor.decode(0..<tensor.count, into: $0.baseAddress!) }
        return values
    }

    static func half(_ v: Float) -> Data { CheckpointBytes.le(HalfPrecision.float16Bits(from: v)) }

    /// Two blocks of each format with chosen scales and codes, and the values ggml gives them.
    struct Blocks {
        var data = Data()
        var expected: [Float] = []
    }

    static func q8_0() -> Blocks {
        var blocks = Blocks()
        for (b, d) in [Float(0.5), 0.0078125].enumerated() {
            let codes = (0..<32).map { Int8(clamping: $0 * 9 - 128 + b) }
            blocks.data += half(d) + Data(codes.map { UInt8(bitPattern: $0) })
            blocks.expected += codes.map { Float($0) * d }
        }
        return blocks
    }

    /// 4-bit codes `low[j]` (element j) and `high[j]` (element j + 16) of byte j.
    static func nibbles(_ b: Int) -> (low: [Int], high: [Int]) {
        ((0..<16).map { ($0 + b) % 16 }, (0..<16).map { (15 - $0 + 3 * b) % 16 })
    }

    static func q4(withMinimum: Bool) -> Blocks {
        var blocks = Blocks()
        for (b, (d, m)) in [(Float(0.25), Float(-1)), (Float(3), Float(0.5))].enumerated() {
            let (low, high) = nibbles(b)
            blocks.data += half(d) + (withMinimum ? half(m) : Data())
            blocks.data += Data((0..<16).map { (j: Int) -> UInt8 in UInt8(low[j] | high[j] << 4) })
            for code in low + high {
                let value: Float = withMinimum ? Float(code) * d + m : Float(code - 8) * d
                blocks.expected.append(value)
            }
        }
        return blocks
    }

    static func q5(withMinimum: Bool) -> Blocks {
        var blocks = Blocks()
        for (b, (d, m, qh)) in [(Float(1), Float(-2), UInt32(0xA5A5_0F0F)), (Float(0.125), Float(4), UInt32(0x0000_FFFF))].enumerated() {
            let (low, high) = nibbles(b)
            blocks.data += half(d) + (withMinimum ? half(m) : Data()) + CheckpointBytes.le(qh)
            blocks.data += Data((0..<16).map { (j: Int) -> UInt8 in UInt8(low[j] | high[j] << 4) })
            var codes: [Int] = []
            for j in 0..<32 {
                let nibble: Int = j < 16 ? low[j] : high[j - 16]
                let fifth = Int((qh >> UInt32(j)) & 1)
                codes.append(nibble | fifth << 4)
            }
            for code in codes {
                let value: Float = withMinimum ? Float(code) * d + m : Float(code - 16) * d
                blocks.expected.append(value)
            }
        }
        return blocks
    }

    func testReadsMetadataShapesAndEveryDecodedType() throws {
        let f32: [Float] = [1, -2, 3.5, 0, 0.25, -0.125]
        let f16: [Float] = [0.5, -1, 2, 4, 8, -16]
        let bf16: [Float] = [0.5, -1, 0x1p68, 4, 8, -16]
        let blocks = [("q8_0", UInt32(8), Self.q8_0()), ("q4_0", 2, Self.q4(withMinimum: false)),
                      ("q4_1", 3, Self.q4(withMinimum: true)), ("q5_0", 6, Self.q5(withMinimum: false)),
                      ("q5_1", 7, Self.q5(withMinimum: true))]
        var tensors = [
            CheckpointBytes.GGUFTensor(name: "f32", dims: [3, 2], type: 0, data: CheckpointBytes.float32(f32)),
            CheckpointBytes.GGUFTensor(name: "f16", dims: [2, 3], type: 1, data: CheckpointBytes.float16(f16)),
            CheckpointBytes.GGUFTensor(name: "bf16", dims: [6], type: 30, data: CheckpointBytes.bfloat16(bf16)),
        ]
        for (name, type, b) in blocks {
            tensors.append(.init(name: name, dims: [32, 2], type: type, data: b.data))
        }
        tensors.append(.init(name: "ids", dims: [4], type: 26, data: Data(count: 16)))
        tensors.append(.init(name: "k_quant", dims: [256, 1], type: 12, data: Data(count: 144)))
        let path = try write(CheckpointBytes.gguf(kvs: [
            .string("general.architecture", "llama"),
            .u32("general.alignment", 64),
            .stringArray("tokenizer.ggml.tokens", ["<s>", "a", "b"]),
            .floatArray("scores", [0, 1, 2]),
        ], tensors: tensors, alignment: 64))

        XCTAssertEqual(WeightCheckpoint.format(of: path), .gguf)
        let checkpoint = try WeightCheckpoint.open(path: path)
        XCTAssertEqual(checkpoint.metadata.map(\.key), ["general.architecture", "general.alignment", "tokenizer.ggml.tokens", "scores"])
        XCTAssertEqual(checkpoint.metadata[0].value, .string("llama"))
        XCTAssertEqual(checkpoint.metadata[2].value, .array(elementType: "string", count: 3))
        let byName = Dictionary(uniqueKeysWithValues: checkpoint.tensors.map { ($0.name, $0) })
        XCTAssertEqual(byName["f32"]?.shape, [2, 3])
        XCTAssertEqual(byName["f16"]?.shape, [3, 2])
        XCTAssertEqual(byName["q8_0"]?.shape, [2, 32])
        for tensor in checkpoint.tensors { XCTAssertEqual(tensor.byteRange.lowerBound % 64, 0, tensor.name) }
        XCTAssertEqual(decoded(try XCTUnwrap(byName["f32"])), f32)
        XCTAssertEqual(decoded(try XCTUnwrap(byName["f16"])), f16)
        XCTAssertEqual(decoded(try XCTUnwrap(byName["bf16"])), bf16)
        for (name, _, b) in blocks {
            XCTAssertEqual(decoded(try XCTUnwrap(byName[name])), b.expected, name)
            XCTAssertEqual(byName[name]?.encoding.typeName, name.uppercased())
        }
        XCTAssertEqual(byName["ids"]?.encoding, .integer("I32"))
        XCTAssertEqual(byName["k_quant"]?.encoding, .unsupported("Q4_K"))
        XCTAssertEqual(checkpoint.layerTensors.map(\.name), ["f32", "f16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1"])
    }

    func assertRefused(_ data: Data, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try write(data)
        XCTAssertThrowsError(try WeightCheckpoint.open(path: path), file: file, line: line) { error in
            guard let lathe = error as? LatheError else { return XCTFail("not a LatheError: \(error)", file: file, line: line) }
            XCTAssertEqual(lathe.kind, .badInput, file: file, line: line)
            XCTAssertTrue(lathe.message.hasPrefix(path), lathe.message, file: file, line: line)
            XCTAssertTrue(lathe.message.contains(fragment), "\(lathe.message) lacks '\(fragment)'", file: file, line: line)
        }
    }

    func testDamagedFilesAreBadInputWithoutLargeAllocations() throws {
        let le = { (v: UInt64) in CheckpointBytes.le(v) }
        let head = Data("GGUF".utf8) + CheckpointBytes.le(UInt32(3))
        try assertRefused(head + le(1 << 62) + le(0), "tensor count")
        try assertRefused(head + le(0) + le(1 << 62), "metadata count")
        try assertRefused(head + le(0) + le(1) + CheckpointBytes.ggufString("k") + CheckpointBytes.le(UInt32(8)) + le(1 << 60),
                          "length")
        try assertRefused(head + le(0) + le(1) + CheckpointBytes.ggufString("k") + CheckpointBytes.le(UInt32(9))
                          + CheckpointBytes.le(UInt32(8)) + le(1 << 60), "array count")
        try assertRefused(head + le(0) + le(1) + CheckpointBytes.ggufString("k") + CheckpointBytes.le(UInt32(99)), "unknown value type")
        try assertRefused(Data("GGUF".utf8) + CheckpointBytes.le(UInt32(1)) + Data(count: 16), "version 1")
        try assertRefused(Data("GGUF".utf8) + CheckpointBytes.le(UInt32(3) << 24) + Data(count: 16), "big-endian")
        try assertRefused(Data("GGUF".utf8) + Data([3, 0]), "truncated")
        try assertRefused(Data("GGUX".utf8) + Data(count: 20), "magic")

        let good = CheckpointBytes.gguf(kvs: [], tensors: [.init(name: "w", dims: [32, 4], type: 8, data: Self.q8_0().data + Self.q8_0().data)])
        // The last tensor's data is followed by padding to the alignment: cut one byte of the data itself.
        let padding = (32 - 136 % 32) % 32
        try assertRefused(good.prefix(good.count - padding - 1), "runs past the end")
        try assertRefused(CheckpointBytes.gguf(kvs: [], tensors: [.init(name: "w", dims: [16, 2], type: 8, data: Data(count: 34))]),
                          "not whole Q8_0 blocks")
        try assertRefused(CheckpointBytes.gguf(kvs: [], tensors: [.init(name: "w", dims: [4], type: 77, data: Data(count: 16))]),
                          "unknown ggml type 77")
        try assertRefused(CheckpointBytes.gguf(kvs: [], tensors: [.init(name: "w", dims: [1 << 40, 1 << 40], type: 0, data: Data(count: 4))]),
                          "overflow")
        try assertRefused(CheckpointBytes.gguf(kvs: [.u32("general.alignment", 24)], tensors: []), "power of two")
        // Two tensors claiming the same bytes.
        var overlapping = CheckpointBytes.gguf(kvs: [], tensors: [.init(name: "a", dims: [8], type: 0, data: Data(count: 32)),
                                                                  .init(name: "b", dims: [8], type: 0, data: Data(count: 32))])
        let secondOffset = overlapping.range(of: Data("b".utf8) + CheckpointBytes.le(UInt32(1)))!.upperBound + 8 + 4
        overlapping.replaceSubrange(secondOffset..<(secondOffset + 8), with: CheckpointBytes.le(UInt64(0)))
        try assertRefused(overlapping, "overlap")
    }
}
