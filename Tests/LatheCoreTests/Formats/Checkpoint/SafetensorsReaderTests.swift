import Foundation
import XCTest
@testable import LatheCore

/// safetensors files written byte by byte: what the reader lists and decodes, and every kind of
/// damage refused as bad input naming the file.
final class SafetensorsReaderTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func write(_ name: String, _ data: Data) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    func decoded(_ tensor: CheckpointTensor) -> [Float] {
        var values = [Float](repeating: .nan, count: tensor.count)
        values.withUnsafeMutableBufferPointer { tensor.decode(0..<tensor.count, into: $0.baseAddress!) }
        return values
    }

    let w32: [Float] = [0.5, -1.25, 3, 0, 1e-3, -7]
    let w16: [Float] = [0.5, -1.25, 3, 65504, -0.000061035156, 2]      // exact in float16
    let wbf: [Float] = [0.5, -1.25, 3, 0x1p100, -2, 0.0078125]          // exact in bfloat16

    func goodFile() throws -> String {
        var payload = Data()
        payload += CheckpointBytes.float32(w32)                      // 0..<24
        payload += CheckpointBytes.float16(w16)                      // 24..<36
        payload += CheckpointBytes.bfloat16(wbf)                     // 36..<48
        payload += CheckpointBytes.le(Int64(7)) + CheckpointBytes.le(Int64(-1))  // 48..<64
        let header = CheckpointBytes.header([
            ("b.half", "F16", [3, 2], 24, 36),
            ("a.float", "F32", [2, 3], 0, 24),
            ("c.brain", "BF16", [6, 1], 36, 48),
            ("d.ids", "I64", [2], 48, 64),
        ], metadata: ["format": "pt"])
        return try write("good.safetensors", CheckpointBytes.safetensors(header: header, payload: payload))
    }

    func testListsTensorsInFileOrderAndDecodesEveryFloatType() throws {
        let path = try goodFile()
        XCTAssertEqual(WeightCheckpoint.format(of: path), .safetensors)
        let checkpoint = try WeightCheckpoint.open(path: path)
        XCTAssertEqual(checkpoint.tensors.map(\.name), ["a.float", "b.half", "c.brain", "d.ids"])
        XCTAssertEqual(checkpoint.tensors.map(\.shape), [[2, 3], [3, 2], [6, 1], [2]])
        XCTAssertEqual(checkpoint.tensors.map(\.encoding.typeName), ["F32", "F16", "BF16", "I64"])
        XCTAssertEqual(checkpoint.layerTensors.map(\.name), ["a.float", "b.half", "c.brain"])
        XCTAssertEqual(checkpoint.storedBytes, 64)
        XCTAssertEqual(decoded(checkpoint.tensors[0]), w32)
        XCTAssertEqual(decoded(checkpoint.tensors[1]), w16)
        XCTAssertEqual(decoded(checkpoint.tensors[2]), wbf)
        XCTAssertFalse(checkpoint.tensors[3].encoding.isDecodable)
    }

    func testFormatIsFoundByMagicWithoutTheExtension() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: try goodFile()))
        let renamed = try write("weights.bin", data)
        XCTAssertEqual(WeightCheckpoint.format(of: renamed), .safetensors)
        XCTAssertNil(WeightCheckpoint.format(of: try write("model.onnx", Data([0x08, 0x07, 0x12, 0x04]))))
    }

    func assertRefused(_ data: Data, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try write("bad-\(UUID().uuidString).safetensors", data)
        XCTAssertThrowsError(try WeightCheckpoint.open(path: path), file: file, line: line) { error in
            guard let lathe = error as? LatheError else { return XCTFail("not a LatheError: \(error)", file: file, line: line) }
            XCTAssertEqual(lathe.kind, .badInput, file: file, line: line)
            XCTAssertTrue(lathe.message.hasPrefix(path), lathe.message, file: file, line: line)
            XCTAssertTrue(lathe.message.contains(fragment), "\(lathe.message) lacks '\(fragment)'", file: file, line: line)
        }
    }

    func testDamagedFilesAreBadInputNamingTheFile() throws {
        let good = try Data(contentsOf: URL(fileURLWithPath: try goodFile()))
        let f32 = { (shape: [Int], begin: Int, end: Int) in CheckpointBytes.header([("w", "F32", shape, begin, end)]) }
        try assertRefused(good.prefix(good.count - 3), "truncated")
        try assertRefused(good.prefix(5), "shorter than the 8-byte header size")
        try assertRefused(CheckpointBytes.safetensors(header: "{}", payload: Data(), declaredSize: 1 << 62), "header size")
        try assertRefused(CheckpointBytes.safetensors(header: "{}", payload: Data(), declaredSize: 0), "header size")
        try assertRefused(CheckpointBytes.safetensors(header: "{}", payload: Data(), declaredSize: 4000), "runs past the end")
        try assertRefused(CheckpointBytes.safetensors(header: "{\"w\": ", payload: Data(count: 8)), "header JSON")
        try assertRefused(CheckpointBytes.safetensors(header: "[1, 2]", payload: Data()), "not a JSON object")
        try assertRefused(CheckpointBytes.safetensors(header: CheckpointBytes.header([("w", "Q4", [2], 0, 2)]),
                                                      payload: Data(count: 2)), "unknown dtype 'Q4'")
        try assertRefused(CheckpointBytes.safetensors(header: f32([4], 0, 16), payload: Data(count: 8)), "run past")
        try assertRefused(CheckpointBytes.safetensors(header: f32([3], 0, 8), payload: Data(count: 8)), "needs 12 bytes")
        try assertRefused(CheckpointBytes.safetensors(header: f32([2], 8, 0), payload: Data(count: 8)), "begin after end")
        try assertRefused(CheckpointBytes.safetensors(header: f32([-2], 0, 8), payload: Data(count: 8)), "non-negative")
        try assertRefused(CheckpointBytes.safetensors(header: f32([1 << 40, 1 << 40], 0, 8), payload: Data(count: 8)),
                          "overflows")
        try assertRefused(CheckpointBytes.safetensors(header: CheckpointBytes.header([
            ("a", "F32", [4], 0, 16), ("b", "F32", [4], 8, 24),
        ]), payload: Data(count: 24)), "overlap")
        try assertRefused(CheckpointBytes.safetensors(header: "{\"__metadata__\": 3}", payload: Data()), "__metadata__")
    }

    func testShardedCheckpointFollowsTheIndex() throws {
        let first = CheckpointBytes.safetensors(header: CheckpointBytes.header([("a.weight", "F32", [2, 2], 0, 16)]),
                                                payload: CheckpointBytes.float32([1, 2, 3, 4]))
        let second = CheckpointBytes.safetensors(header: CheckpointBytes.header([("b.weight", "F16", [1, 2], 0, 4)]),
                                                 payload: CheckpointBytes.float16([-1, 0.5]))
        _ = try write("model-00001-of-00002.safetensors", first)
        _ = try write("model-00002-of-00002.safetensors", second)
        let index = try write("model.safetensors.index.json", Data("""
            {"metadata": {"total_size": 20}, "weight_map": {"a.weight": "model-00001-of-00002.safetensors",
             "b.weight": "model-00002-of-00002.safetensors"}}
            """.utf8))
        XCTAssertEqual(WeightCheckpoint.format(of: index), .safetensorsIndex)
        let checkpoint = try WeightCheckpoint.open(path: index)
        XCTAssertEqual(checkpoint.tensors.map(\.name), ["a.weight", "b.weight"])
        XCTAssertEqual(decoded(checkpoint.tensors[1]), [-1, 0.5])

        let wrong = try write("wrong.safetensors.index.json", Data("""
            {"weight_map": {"a.weight": "model-00002-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors"}}
            """.utf8))
        XCTAssertThrowsError(try WeightCheckpoint.open(path: wrong)) { error in
            XCTAssertTrue("\(error)".contains("no shard holds it"), "\(error)")
        }
        let missing = try write("missing.safetensors.index.json", Data("""
            {"weight_map": {"a.weight": "nowhere.safetensors"}}
            """.utf8))
        XCTAssertThrowsError(try WeightCheckpoint.open(path: missing)) { error in
            XCTAssertTrue("\(error)".contains("'nowhere.safetensors' is missing"), "\(error)")
        }
        let escape = try write("escape.safetensors.index.json", Data("""
            {"weight_map": {"a.weight": "../etc/passwd"}}
            """.utf8))
        XCTAssertThrowsError(try WeightCheckpoint.open(path: escape)) { error in
            XCTAssertTrue("\(error)".contains("not a file in the index's folder"), "\(error)")
        }
    }
}
