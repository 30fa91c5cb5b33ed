import Foundation
import LatheCore
import XCTest

/// `lathe eval --config` and `lathe inspect --config`: sizes worked out by hand
/// from the size model's definition, the same numbers as the live engine, and
/// configuration errors reported verbatim at their file line.
final class ConfigTests: XCTestCase {
    let model = Samples.path("lenet5", "model.onnx")
    let data = Samples.path("lenet5", "data.npz")

    // LeNet-5 (samples/lenet5): weights conv1 6×1×5×5, conv2 16×6×5×5, fc1 120×400,
    // fc2 84×120, fc3 10×84 (Gemm, transB: output channels = rows); biases 6+16+120+84+10;
    // two scalar input-scaling constants. All float32.
    static let weights = 150 + 2_400 + 48_000 + 10_080 + 840   // 61,470
    static let channels = 6 + 16 + 120 + 84 + 10               // 236 (= bias elements)
    static let otherBytes = channels * 4 + 2 * 4               // biases + input_scale, input_mean
    static let baselineBytes = weights * 4 + otherBytes        // 246,832

    func write(_ text: String, as name: String, in scratch: ScratchDirectory) throws -> String {
        try scratch.write(name, Data(text.utf8))
    }

    func testEvalInt8ReportsTheSizeModelAndRealAgreement() throws {
        let scratch = try ScratchDirectory()
        let config = try write("version: 1\ndefaults: {bits: 8}\n", as: "int8.yaml", in: scratch)
        let json = try parseJSON(LatheBinary.run(["eval", model, "--data", data, "--config", config, "--json"]))
        // 8-bit payload per weight, one fp32 scale per output channel, biases and constants unchanged.
        let expected = Self.weights + Self.channels * 4 + Self.otherBytes
        XCTAssertEqual(json["size_bytes"] as? Int, expected)
        XCTAssertEqual(json["baseline_size_bytes"] as? Int, Self.baselineBytes)
        // JSONSerialization may round a double's last digit; the script checks the exact text.
        XCTAssertEqual(try XCTUnwrap(json["compression_ratio"] as? Double), Double(Self.baselineBytes) / Double(expected),
                       accuracy: 1e-12)
        XCTAssertEqual(json["config"] as? String, config)
        // Agreement is measured against the uncompressed model: int8 moves a few predictions, not many.
        let agreement = try XCTUnwrap(json["agreement"] as? Double)
        XCTAssertLessThan(agreement, 1)
        XCTAssertGreaterThan(agreement, 0.98)
        let plain = try parseJSON(LatheBinary.run(["eval", model, "--data", data, "--json"]))
        let top1 = try XCTUnwrap(json["top1"] as? Double), fp32 = try XCTUnwrap(plain["top1"] as? Double)
        XCTAssertEqual(top1, fp32, accuracy: 0.01)
        XCTAssertTrue(plain["config"] is NSNull)
    }

    /// The CLI and the live engine (what the explorer shows) give the same final numbers.
    func testEvalConfigEqualsTheLiveSession() throws {
        let scratch = try ScratchDirectory()
        let text = """
            version: 1
            defaults: {bits: 4, scheme: asymmetric}
            layers:
              fc1.weight: {bits: 3, prune: 0.5}
              "conv*": {clusters: 8, abits: 6}
            """
        let config = try write(text, as: "mixed.yaml", in: scratch)
        let json = try parseJSON(LatheBinary.run(["eval", model, "--data", data, "--config", config,
                                                  "--calib-samples", "100", "--json"]))
        let dataset = try Dataset.load(path: Samples.absolute(data))
        let session = try InferenceSession(model: ONNXReader.read(path: Samples.absolute(model)),
                                           sampleShape: dataset.sampleShape)
        let plan = try CompressionConfig.read(path: config).plan(for: session.layers)
        let live = try LiveSession(session: session, dataset: dataset,
                                   options: EvaluatorOptions(batchSize: 64, threads: 2, calibrationSamples: 100))
        live.apply(plan)
        XCTAssertTrue(live.waitUntilIdle(timeout: 300))
        let snapshot = live.latest()
        XCTAssertTrue(snapshot.isFinal)
        XCTAssertNil(snapshot.error)
        XCTAssertEqual(snapshot.value, json["top1"] as? Double)
        XCTAssertEqual(snapshot.sizeBytes, json["size_bytes"] as? Int)
        XCTAssertEqual(snapshot.baselineBytes, json["baseline_size_bytes"] as? Int)
        XCTAssertEqual(snapshot.compressionRatio, try XCTUnwrap(json["compression_ratio"] as? Double), accuracy: 1e-12)
        live.close()
    }

    func testCalibrationSamplesReachTheActivationRanges() throws {
        let scratch = try ScratchDirectory()
        let config = try write("version: 1\ndefaults: {abits: 2}\n", as: "a2.yaml", in: scratch)
        for samples in ["1", "2000"] {
            let run = try LatheBinary.run(["eval", model, "--data", data, "--config", config, "--calib-samples", samples,
                                           "--save-outputs", scratch.path("out\(samples).npy")])
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let few = try NPYFormat.read(path: scratch.path("out1.npy"))
        let all = try NPYFormat.read(path: scratch.path("out2000.npy"))
        XCTAssertEqual(few.shape, all.shape)
        XCTAssertNotEqual(few.floats, all.floats, "2-bit activation ranges from 1 sample and from 2000 differ")
    }

    func testInspectShowsSettingsAndSizeBreakdownPerLayer() throws {
        let scratch = try ScratchDirectory()
        let text = """
            version: 1
            defaults: {bits: 4, scheme: asymmetric}
            layers:
              fc1.weight: {bits: 8, prune: 0.5}
              "conv*": {clusters: 4}
              fc3.weight: {bits: fp16}
            """
        let config = try write(text, as: "mixed.yaml", in: scratch)
        let json = try parseJSON(LatheBinary.run(["inspect", model, "--config", config, "--json"]))
        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        var byName: [String: [String: Any]] = [:]
        for layer in layers { byName[try XCTUnwrap(layer["name"] as? String)] = layer }
        // (payload, scales, zero_points, codebook, index), by hand:
        let expected: [String: [Int]] = [
            // 2-bit indices of a 4-entry fp32 codebook: ceil(150·2/8), 4·4.
            "conv1.weight": [38, 0, 0, 16, 0],
            "conv2.weight": [600, 0, 0, 16, 0],
            // 24,000 of 48,000 kept at 8 bits; scales for 120 channels; the cheaper index is the
            // 48,000-bit mask (6,000 bytes) rather than 32 bits per survivor.
            "fc1.weight": [24_000, 480, 0, 0, 6_000],
            // defaults: 4-bit asymmetric, one fp32 scale and one 8-bit zero-point per channel.
            "fc2.weight": [5_040, 336, 84, 0, 0],
            "fc3.weight": [1_680, 0, 0, 0, 0],
        ]
        let keys = ["payload", "scales", "zero_points", "codebook", "index"]
        var total = 0
        for (name, parts) in expected {
            let layer = try XCTUnwrap(byName[name], name)
            let breakdown = try XCTUnwrap(layer["size_breakdown"] as? [String: Int], name)
            XCTAssertEqual(Set(breakdown.keys), Set(keys), name)
            XCTAssertEqual(keys.map { breakdown[$0] ?? -1 }, parts, name)
            XCTAssertEqual(layer["size_bytes"] as? Int, parts.reduce(0, +), name)
            total += parts.reduce(0, +)
        }
        let fc1 = try XCTUnwrap(byName["fc1.weight"]?["settings"] as? [String: Any])
        XCTAssertEqual(fc1["bits"] as? Int, 8)
        XCTAssertEqual(fc1["prune"] as? Double, 0.5)
        XCTAssertEqual(fc1["structure"] as? String, "unstructured")
        XCTAssertEqual(byName["fc3.weight"]?["settings"] as? [String: String], ["bits": "fp16"])
        let fc2 = try XCTUnwrap(byName["fc2.weight"]?["settings"] as? [String: Any])
        XCTAssertEqual(Set(fc2.keys), ["bits", "scheme"])
        XCTAssertEqual(fc2["bits"] as? Int, 4)
        XCTAssertEqual(fc2["scheme"] as? String, "asymmetric")
        XCTAssertEqual(json["other_bytes"] as? Int, Self.otherBytes)
        XCTAssertEqual(json["size_bytes"] as? Int, total + Self.otherBytes)
        XCTAssertEqual(json["baseline_size_bytes"] as? Int, Self.baselineBytes)
        XCTAssertEqual(try XCTUnwrap(json["compression_ratio"] as? Double),
                       Double(Self.baselineBytes) / Double(total + Self.otherBytes), accuracy: 1e-12)

        let eval = try parseJSON(LatheBinary.run(["eval", model, "--data", data, "--config", config, "--json"]))
        XCTAssertEqual(eval["size_bytes"] as? Int, json["size_bytes"] as? Int)

        let table = try LatheBinary.run(["inspect", model, "--config", config])
        XCTAssertEqual(table.status, 0, table.stderr)
        for text in ["fc1.weight", "bits 8, prune 0.5", "clusters 4", "codebook", "24,000", "ratio", config] {
            XCTAssertTrue(table.stdout.contains(text), "missing \(text): \(table.stdout)")
        }
    }

    func testConfigErrorsArePrintedVerbatimAtTheirLine() throws {
        let scratch = try ScratchDirectory()
        let cases: [(String, String, String)] = [
            ("version: 1\nlayers:\n  conv1.wieght: {bits: 4}\n",
             ":3: conv1.wieght: no layer of that name in the model (did you mean 'conv1.weight'?)", "typo.yaml"),
            ("version: 1\ndefaults:\n  bits: 0\n", ":3: bits: 0 is out of range", "bits.yaml"),
            ("version: 1\nlayers:\n  fc1.weight: {prune: 1.5}\n", ":3: prune: 1.5 is out of range", "prune.yaml"),
            ("version: 1\ndefaults: {bitz: 4}\n", ":2: bitz: unknown key (did you mean 'bits'?)", "key.yaml"),
            // A 5×5 convolution cannot be factorised (rank applies to Gemm/MatMul and 1×1 Conv).
            ("version: 1\nlayers:\n  conv2.weight:\n    rank: 0.5\n", ":4: rank:", "rank.yaml"),
            ("{\"version\": 1,\n \"layers\": {\"fc9.weight\": {\"bits\": 4}}}\n",
             ":2: fc9.weight: no layer of that name in the model (did you mean 'fc1.weight'?)", "typo.json"),
        ]
        for (text, message, name) in cases {
            let config = try write(text, as: name, in: scratch)
            for command in [["eval", model, "--data", data, "--config", config], ["inspect", model, "--config", config]] {
                let run = try LatheBinary.run(command)
                assertBadInput(run, mentions: [])
                XCTAssertTrue(run.stderr.hasPrefix("error: \(config)\(message)"), "\(name): \(run.stderr)")
                XCTAssertEqual(run.stdout, "", name)
            }
        }
        assertBadInput(try LatheBinary.run(["eval", model, "--data", data, "--config", scratch.path("none.yaml")]),
                       mentions: [scratch.path("none.yaml"), "not found"])
        let config = try write("version: 1\ndefaults: {bits: 8}\n", as: "ok.yaml", in: scratch)
        assertBadInput(try LatheBinary.run(["eval", model, "--data", data, "--config", config, "--calib-samples", "0"]),
                       mentions: ["--calib-samples"])
        assertBadInput(try LatheBinary.run(["eval", model, "--data", data, "--calib-samples", "10"]),
                       mentions: ["--calib-samples", "--config"])
    }
}
