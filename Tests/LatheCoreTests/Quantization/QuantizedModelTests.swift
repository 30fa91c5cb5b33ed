import Foundation
import XCTest
@testable import LatheCore

/// Real quantized models written by onnxruntime's quantizer (samples/mobilenet_qdq, and
/// Fixtures/quantized_models made by make_models.py there) against onnxruntime with graph
/// optimisations off.
final class QuantizedModelTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/quantized_models")
    static let samples = fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples")

    /// `in folder`: the fixtures, or `samples` for the QDQ sample (samples/mobilenet_qdq).
    func run(_ name: String, in folder: URL = QuantizedModelTests.fixtures, data source: String,
             plan: ((InferenceSession) -> CompressionPlan)? = nil) throws -> (InferenceSession, Dataset, Tensor) {
        let model = try ONNXReader.read(path: folder.appendingPathComponent("\(name)/model.onnx").path)
        let data = try Dataset.load(path: Self.samples.appendingPathComponent("\(source)/data.npz").path)
        let session = try InferenceSession(model: model, data: data.layout)
        let weights = try plan.map { try Compressor.compress(weights: session.weights, layers: session.layers,
                                                             plan: $0(session)) } ?? [:]
        // Consecutive batches of 64, as the references were made: DynamicQuantizeLinear's range is
        // per batch, so the evaluator's class-interleaved batches would give other (equally exact) numbers.
        var floats: [Float] = []
        var shape: [Int] = []
        for start in stride(from: 0, to: data.count, by: 64) {
            let output = try session.run(data.batch(start..<min(start + 64, data.count)),
                                         options: RunOptions(weights: weights)).output
            floats += output.floats
            shape = [data.count] + Array(output.shape.dropFirst())
        }
        return (session, data, Tensor(shape: shape, floats: floats))
    }

    static func argmax(_ t: Tensor) -> [Int] {
        let classes = t.shape[1]
        return (0..<t.shape[0]).map { i in
            let row = t.floats[(i * classes)..<((i + 1) * classes)]
            return row.indices.max { row[$0] < row[$1] }.map { $0 - i * classes } ?? 0
        }
    }

    /// QDQ mobilenet: every weight is an int8 per-channel layer; outputs equal onnxruntime's except
    /// where float32 summation order (OpenBLAS vs MLAS) tips an activation across a rounding
    /// boundary: then by one output quantum (1/255) in a handful of elements; top-1 identical.
    func testMobileNetQDQ() throws {
        let (session, data, outputs) = try run("mobilenet_qdq", in: Self.samples, data: "mobilenet")
        let reference = try NPYFormat.read(path: Self.samples.appendingPathComponent("mobilenet_qdq/reference.npy").path)
        XCTAssertEqual(outputs.shape, reference.shape)
        XCTAssertEqual(session.layers.count, 10)
        for layer in session.layers {
            XCTAssertEqual(layer.stored?.dtype, .int8, layer.name)
            XCTAssertEqual(layer.stored?.scheme, .symmetric, layer.name)
            XCTAssertTrue(layer.name.hasSuffix("_quantized"), layer.name)
        }
        XCTAssertEqual(session.layers.filter { $0.op == .conv }.map { $0.stored?.granularity.name },
                       [String?](repeating: "per-channel", count: 9))
        let differences = zip(outputs.floats, reference.floats).map { Swift.abs($0 - $1) }
        XCTAssertLessThanOrEqual(differences.filter { $0 > 1e-5 }.count, 10, "elements off by a quantum")
        XCTAssertLessThanOrEqual(differences.max() ?? 0, 2.0 / 255 + 1e-6)
        XCTAssertEqual(Self.argmax(outputs), Self.argmax(reference), "top-1 agreement with onnxruntime")
        let labels = try XCTUnwrap(data.labels)
        let correct = zip(Self.argmax(outputs), labels).filter { $0 == $1 }.count
        XCTAssertEqual(correct, 1925, "top-1 96.25%, as onnxruntime")
        // Baseline: int8 weights + fp32 scales + int8 zero points, not float32 weights.
        let weightBytes = session.layers.reduce(0) { $0 + ($1.stored?.size.total ?? 0) }
        XCTAssertEqual(weightBytes, session.layers.reduce(0) { $0 + $1.params + 5 * $1.channels })
        XCTAssertLessThan(SizeModel.baselineBytes(of: session.weights, layers: session.layers),
                          SizeModel.baselineBytes(of: session.weights) / 2)
    }

    /// quantize_dynamic digits MLP: exact against the ONNX reference implementation; onnxruntime's
    /// uint8 × int8 MatMulInteger saturates 16-bit pair sums on this CPU, so only its top-1 is compared.
    /// Each MatMulInteger weight is a layer holding its stored integers minus the zero point.
    func testDigitsDynamic() throws {
        let (session, data, outputs) = try run("digits_mlp_dynamic", data: "digits_mlp")
        let exact = try NPYFormat.read(path: Self.fixtures.appendingPathComponent("digits_mlp_dynamic/reference_onnx.npy").path)
        let ort = try NPYFormat.read(path: Self.fixtures.appendingPathComponent("digits_mlp_dynamic/reference.npy").path)
        let worst = zip(outputs.floats, exact.floats).map { Swift.abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5)
        XCTAssertEqual(Self.argmax(outputs), Self.argmax(ort))
        XCTAssertEqual(data.count, 540)

        let model = try ONNXReader.read(path: Self.fixtures.appendingPathComponent("digits_mlp_dynamic/model.onnx").path)
        XCTAssertEqual(session.layers.map(\.name), ["fc1.weight_quantized", "fc2.weight_quantized", "fc3.weight_quantized"])
        XCTAssertEqual(session.layers.map(\.shape), [[64, 64], [64, 32], [32, 10]])
        for layer in session.layers {
            XCTAssertEqual(layer.op, .matMulInteger)
            XCTAssertEqual(layer.channelAxis, 1, "a channel per column of B")
            XCTAssertNil(layer.biasName, "input 2 of MatMulInteger is the data's zero point")
            XCTAssertEqual(layer.macs, layer.params, "one product per weight per sample")
            let stored = try XCTUnwrap(layer.stored, layer.name)
            XCTAssertEqual(stored.dtype, .int8)
            XCTAssertEqual(stored.granularity, .perTensor)
            // The file's integers minus its zero point, as whole numbers.
            let integers = try XCTUnwrap(model.graph.initializers[layer.name], layer.name)
            let zeroName = layer.name.replacingOccurrences(of: "_quantized", with: "_zero_point")
            let zero = try XCTUnwrap(model.graph.initializers[zeroName]?.ints.first, zeroName)
            XCTAssertEqual(stored.scheme, zero == 0 ? .symmetric : .asymmetric)
            XCTAssertEqual(session.weights[layer.name]?.floats, integers.ints.map { Float($0 - zero) }, layer.name)
            XCTAssertEqual(stored.size.total, layer.params + 1, "int8 weights and one int8 zero point")
        }
    }

    /// 4-bit re-compression keeps to whole numbers (a whole-number step per channel), so the integer
    /// kernels still run it exactly: equal to the same rule in numpy run by the ONNX reference
    /// implementation (make_models.py, integer_grid → reference_int4.npy).
    func testDigitsDynamicRecompressedToFourBits() throws {
        let fourBits = { (session: InferenceSession) -> CompressionPlan in
            var plan = CompressionPlan.identity(layers: session.layers)
            for layer in session.layers { plan.set(LayerSettings(bits: .integer(4)), for: layer.name) }
            return plan
        }
        let (session, _, outputs) = try run("digits_mlp_dynamic", data: "digits_mlp", plan: fourBits)
        let expected = try NPYFormat.read(path: Self.fixtures.appendingPathComponent("digits_mlp_dynamic/reference_int4.npy").path)
        XCTAssertEqual(outputs.shape, expected.shape)
        let worst = zip(outputs.floats, expected.floats).map { Swift.abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, 1e-5)
        let exact = try NPYFormat.read(path: Self.fixtures.appendingPathComponent("digits_mlp_dynamic/reference_onnx.npy").path)
        XCTAssertGreaterThan(zip(outputs.floats, exact.floats).map { Swift.abs($0 - $1) }.max() ?? 0, 0.01,
                             "4 bits changes the outputs")
        let compressed = try Compressor.compress(weights: session.weights, layers: session.layers, plan: fourBits(session))
        for layer in session.layers {
            let values = try XCTUnwrap(compressed[layer.name]?.floats)
            XCTAssertTrue(values.allSatisfy { $0.rounded() == $0 }, "\(layer.name): whole numbers")
            let columns = layer.shape[1]
            for column in 0..<columns {
                let levels = Set(stride(from: column, to: values.count, by: columns).map { values[$0] })
                XCTAssertLessThanOrEqual(levels.count, 15, "\(layer.name) column \(column): a 4-bit grid")
            }
        }
    }

    /// The explorer's histogram marks show the grid the compressor uses: whole-number steps, and
    /// every compressed value on it.
    func testIntegerLayerAnalysisShowsTheWholeNumberGrid() throws {
        let model = try ONNXReader.read(path: Self.fixtures.appendingPathComponent("digits_mlp_dynamic/model.onnx").path)
        let session = try InferenceSession(model: model, sampleShape: [64])
        for layer in session.layers {
            let weight = try XCTUnwrap(session.weights[layer.name])
            let analysis = try LayerAnalyzer.analyze(weight: weight, layer: layer, settings: LayerSettings(bits: .integer(3)))
            let step = try XCTUnwrap(analysis.gridStep)
            XCTAssertEqual(step.rounded(), step, layer.name)
            XCTAssertGreaterThanOrEqual(step, 1, layer.name)
            XCTAssertTrue(analysis.grid.allSatisfy { $0.rounded() == $0 }, "\(layer.name): \(analysis.grid)")
            // The widest channel's max |w| is 127 here: 3 bits (qmax 3) need a step of ceil(127 / 3) = 43.
            XCTAssertEqual(step, 43, layer.name)
        }
    }

    /// Sharing and low-rank cannot keep an integer layer's values whole: refused, naming the layer.
    func testIntegerLayersRefuseSharingAndLowRank() throws {
        let model = try ONNXReader.read(path: Self.fixtures.appendingPathComponent("digits_mlp_dynamic/model.onnx").path)
        let session = try InferenceSession(model: model, sampleShape: [64])
        let layer = try XCTUnwrap(session.layers.first)
        for (settings, key) in [(LayerSettings(clusters: 16), "clusters"), (LayerSettings(rank: 0.5), "rank")] {
            var plan = CompressionPlan.identity(layers: session.layers)
            plan.set(settings, for: layer.name)
            XCTAssertThrowsError(try Compressor.compress(weights: session.weights, layers: session.layers, plan: plan)) {
                let message = ($0 as? LatheError)?.message ?? ""
                XCTAssertTrue(message.contains("\(layer.name): \(key):") && message.contains("whole numbers"), message)
            }
        }
    }
}
