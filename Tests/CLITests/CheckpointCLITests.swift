import Foundation
import LatheCore
import XCTest

/// `lathe inspect` and `lathe sensitivity` on weights-only checkpoints written byte by byte here.
final class CheckpointCLITests: XCTestCase {
    static func le<T: FixedWidthInteger>(_ value: T) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }

    /// A [4, 8] F32 layer (rows of different scales), an [8] F16 norm and an I64 tensor.
    static let layer: [Float] = (0..<32).map { (i: Int) -> Float in
        let code = Float((i * 37) % 17 - 8)
        let scale = Float(1 + i / 8)
        return code * scale * 0.01
    }
    static let norm: [Float] = [1, 0.5, 0.25, 2, 1, 1, 1, 1]

    static func safetensors() -> Data {
        var payload = layer.reduce(into: Data()) { $0 += le($1.bitPattern) }
        payload += norm.reduce(into: Data()) { $0 += le(HalfPrecision.float16Bits(from: $1)) }
        payload += le(Int64(3)) + le(Int64(4))
        let header = """
            {"__metadata__": {"format": "pt"}, "fc.weight": {"dtype": "F32", "shape": [4, 8], "data_offsets": [0, 128]},
             "norm.weight": {"dtype": "F16", "shape": [8], "data_offsets": [128, 144]},
             "ids": {"dtype": "I64", "shape": [2], "data_offsets": [144, 160]}}
            """
        return le(UInt64(header.utf8.count)) + Data(header.utf8) + payload
    }

    func testInspectJSONDescribesLayersAndListsEveryTensor() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("model.safetensors", Self.safetensors())
        let json = try parseJSON(LatheBinary.run(["inspect", path, "--json", "--bins", "8"]))
        XCTAssertEqual(json["format"] as? String, "safetensors")
        XCTAssertEqual(json["size_bytes"] as? Int, 160)
        XCTAssertEqual(json["total_params"] as? Int, 40)
        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 1)
        let layer = layers[0]
        XCTAssertEqual(Set(layer.keys), ["name", "op", "dtype", "shape", "params", "macs", "bytes", "stats", "histogram"])
        XCTAssertEqual(layer["name"] as? String, "fc.weight")
        XCTAssertTrue(layer["op"] is NSNull)
        XCTAssertEqual(layer["shape"] as? [Int], [4, 8])
        let stats = try XCTUnwrap(layer["stats"] as? [String: Double])
        let values = Self.layer.map(Double.init)
        // Foundation's JSON parser on Linux can miss the last ulp of a double, hence the tolerance.
        XCTAssertEqual(try XCTUnwrap(stats["min"]), try XCTUnwrap(values.min()), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(stats["max"]), try XCTUnwrap(values.max()), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(stats["mean"]), values.reduce(0, +) / 32, accuracy: 1e-12)
        let histogram = try XCTUnwrap(layer["histogram"] as? [String: [Double]])
        XCTAssertEqual(histogram["counts"]?.reduce(0, +), 32)
        XCTAssertEqual(histogram["counts"]?.count, 8)
        let tensors = try XCTUnwrap(json["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.map { $0["name"] as? String }, ["fc.weight", "norm.weight", "ids"])
        XCTAssertEqual(tensors.map { $0["role"] as? String }, ["layer", "float", "integer"])
        XCTAssertEqual(tensors.map { $0["dtype"] as? String }, ["F32", "F16", "I64"])

        let text = try LatheBinary.run(["inspect", path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("fc.weight") && text.stdout.contains("safetensors"), text.stdout)
        XCTAssertTrue(text.stdout.contains("integer (not compressed)"), text.stdout)
    }

    /// SQNR of per-row symmetric min–max quantization, computed here from the definition.
    static func sqnr(bits: Int) -> Double {
        let qmax = Float((1 << (bits - 1)) - 1)
        var signal = 0.0, noise = 0.0
        for row in 0..<4 {
            let values = Array(layer[(row * 8)..<(row * 8 + 8)])
            let m = values.map(abs).max() ?? 0
            let s = m > 0 ? m / qmax : 1
            for w in values {
                let q = min(max((w / s).rounded(.toNearestOrEven), -qmax), qmax) * s
                signal += Double(w) * Double(w)
                noise += (Double(w) - Double(q)) * (Double(w) - Double(q))
            }
        }
        return 10 * log10(signal / noise)
    }

    func testSensitivityIsDataFreeWithASuggestion() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("model.safetensors", Self.safetensors())
        let json = try parseJSON(LatheBinary.run(["sensitivity", path, "--bits", "2,4,8", "--target-bits", "4", "--json"]))
        XCTAssertEqual(json["data_free"] as? Bool, true)
        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.map { $0["name"] as? String }, ["fc.weight"])
        let sqnr = try XCTUnwrap(layers[0]["sqnr_db"] as? [String: Double])
        for bits in [2, 4, 8] {
            XCTAssertEqual(try XCTUnwrap(sqnr[String(bits)]), Self.sqnr(bits: bits), accuracy: 1e-9, "\(bits) bits")
        }
        XCTAssertEqual(layers[0]["suggested_bits"] as? Int, 4)
        XCTAssertEqual(json["average_bits"] as? Double, 4)
        XCTAssertNotNil(layers[0]["excess_kurtosis"] as? Double)
        XCTAssertNotNil(layers[0]["max_abs_over_std"] as? Double)

        let text = try LatheBinary.run(["sensitivity", path, "--bits", "2,4,8"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("weighted SQNR at 4 bits"), text.stdout)
    }

    func testOptionsThatNeedAGraphAreRefused() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("model.safetensors", Self.safetensors())
        let data = Samples.path("lenet5", "data.npz")
        assertBadInput(try LatheBinary.run(["sensitivity", path, "--data", data]), mentions: [path, "weights-only", "--data"])
        assertBadInput(try LatheBinary.run(["sensitivity", path, "--prune", "0.5"]), mentions: [path, "--prune"])
        assertBadInput(try LatheBinary.run(["inspect", path, "--data", data]), mentions: [path, "weights-only"])
        assertBadInput(try LatheBinary.run(["sensitivity", path, "--bits", "4", "--target-bits", "2"]),
                       mentions: ["--target-bits"])
        assertBadInput(try LatheBinary.run(["sensitivity", Samples.path("lenet5", "model.onnx"), "--target-bits", "4"]),
                       mentions: ["--target-bits"])
    }

    func testDamagedCheckpointsExitTwoNamingTheFile() throws {
        let scratch = try ScratchDirectory()
        let good = Self.safetensors()
        let truncated = try scratch.write("truncated.safetensors", good.prefix(good.count - 9))
        let absurd = try scratch.write("absurd.safetensors", Self.le(UInt64(1) << 62) + Data("{}".utf8))
        let badJSON = try scratch.write("bad.safetensors", Self.le(UInt64(5)) + Data("{oops".utf8))
        let huge = try scratch.write("huge.gguf", Data("GGUF".utf8) + Self.le(UInt32(3)) + Self.le(UInt64(1) << 62)
                                     + Self.le(UInt64(0)))
        for (path, problem) in [(truncated, "truncated"), (absurd, "header size"), (badJSON, "JSON"), (huge, "tensor count")] {
            assertBadInput(try LatheBinary.run(["inspect", path, "--json"]), mentions: [path, problem])
            assertBadInput(try LatheBinary.run(["sensitivity", path]), mentions: [path, problem])
        }
    }
}
