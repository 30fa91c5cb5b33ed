import Foundation
import XCTest
@testable import LatheCore

/// 4-bit tensors in files, and integer weights behind DequantizeLinear shown as layers
/// (WeightDequantization, WeightLayer.stored, the size model's baseline).
final class QuantizedWeightTests: XCTestCase {
    typealias M = ExecutorTestModels

    func testFourBitTypes() {
        XCTAssertEqual(DType(onnxCode: 21), .uint4)
        XCTAssertEqual(DType(onnxCode: 22), .int4)
        XCTAssertEqual(DType.int4.bits, 4)
        XCTAssertEqual(Tensor(shape: [3, 5], ints: [Int64](repeating: 1, count: 15), dtype: .int4).storedBytes, 8)
        let values: [Int64] = [-8, 7, 0, -1, 3]
        let packed = ElementCodec.encode(Tensor(shape: [5], ints: values, dtype: .int4))
        XCTAssertEqual(Array(packed), [0x78, 0xF0, 0x03], "low nibble first")
        let decoded = packed.withUnsafeBytes { ElementCodec.decode($0, dtype: .int4, shape: [5]) }
        XCTAssertEqual(decoded.ints, values)
        let unsigned = Data([0x78, 0xF0, 0x03]).withUnsafeBytes { ElementCodec.decode($0, dtype: .uint4, shape: [5]) }
        XCTAssertEqual(unsigned.ints, [8, 7, 0, 15, 3])
    }

    func testFourAndSixteenBitInitializersRoundTripThroughONNX() throws {
        let folder = try TemporaryFolder()
        let tensors: [String: Tensor] = [
            "a4": Tensor(shape: [3, 5], ints: (0..<15).map { Int64($0 % 16) - 8 }, dtype: .int4),
            "u4": Tensor(shape: [7], ints: (0..<7).map { Int64($0 * 2) }, dtype: .uint4),
            "i16": Tensor(shape: [2], ints: [-30000, 12], dtype: .int16),
            "u16": Tensor(shape: [2], ints: [65535, 3], dtype: .uint16),
        ]
        let nodes = tensors.keys.sorted().map { Node(opType: "Identity", inputs: [$0], outputs: [$0 + "_out"]) }
        let model = Model(graph: Graph(nodes: nodes, initializers: tensors, inputs: [],
                                       outputs: tensors.keys.sorted().map { ValueInfo(name: $0 + "_out", dtype: nil, dims: nil) }),
                          opset: 21, path: "q.onnx")
        let path = folder.path("q.onnx")
        try ONNXWriter.write(model, to: path)
        let read = try ONNXReader.read(path: path)
        for (name, tensor) in tensors { XCTAssertEqual(read.graph.initializers[name], tensor, name) }
    }

    /// DequantizeLinear(int8 per-channel weight) → Conv: the layer is the integer tensor, holding
    /// the exact dequantized values, stored as int8 symmetric per-channel.
    func testConvWeightBehindDequantizeLinearIsALayer() throws {
        var rng = ExecutorSeededFloats(seed: 5)
        let q = Tensor(shape: [4, 2, 3, 3], ints: (0..<72).map { Int64(($0 * 37) % 255) - 127 }, dtype: .int8)
        let scale = Tensor(shape: [4], floats: [0.01, 0.02, 0.005, 0.03])
        let zero = Tensor(shape: [4], ints: [0, 0, 0, 0], dtype: .int8)
        let bias = rng.tensor([4])
        let model = M.model([
            Node(opType: "DequantizeLinear", inputs: ["w_q", "w_scale", "w_zero"], outputs: ["w_dq"],
                 attributes: ["axis": .int(0)]),
            Node(opType: "Conv", inputs: ["x", "w_dq", "b"], outputs: ["y"], attributes: ["pads": .ints([1, 1, 1, 1])]),
        ], initializers: ["w_q": q, "w_scale": scale, "w_zero": zero, "b": bias], opset: 13)
        let session = try M.session(model, sampleShape: [2, 5, 5], kernels: OpRegistry.kernels(opset: OpRegistry.newestOpset))
        XCTAssertEqual(session.layers.map(\.name), ["w_q"])
        let layer = try XCTUnwrap(session.layers.first)
        let stored = try XCTUnwrap(layer.stored)
        XCTAssertEqual(stored.summary, "int8 symmetric per-channel")
        XCTAssertEqual(stored.bits, 8)
        XCTAssertEqual(stored.size, TensorSize(payload: 72, scales: 16, zeroPoints: 4))
        let dequantized = (0..<72).map { Float(q.ints[$0]) * scale.floats[$0 / 18] }
        XCTAssertEqual(session.weights["w_q"]?.floats, dequantized)
        XCTAssertEqual(Set(session.weights.keys), ["w_q", "b"], "scale and zero point are part of the layer")

        // Identity: exactly the float model with the dequantized weights.
        let x = rng.tensor([2, 2, 5, 5])
        let float = M.model([Node(opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"],
                                  attributes: ["pads": .ints([1, 1, 1, 1])])],
                            initializers: ["w": Tensor(shape: [4, 2, 3, 3], floats: dequantized), "b": bias])
        let reference = try M.session(float, sampleShape: [2, 5, 5], kernels: OpRegistry.kernels(opset: OpRegistry.newestOpset))
        XCTAssertEqual(try session.run(x).output, try reference.run(x).output)

        // Baseline: the integer storage; new settings re-compress from the dequantized floats.
        XCTAssertEqual(SizeModel.baselineBytes(of: session.weights, layers: session.layers), 72 + 16 + 4 + 16)
        let identity = SizeModel.report(tensors: session.weights, layers: session.layers,
                                        plan: .identity(layers: session.layers))
        XCTAssertEqual(identity.baselineBytes, 108)
        XCTAssertEqual(identity.totalBytes, 108)
        XCTAssertEqual(identity.layers.first?.baselineBytes, 92)
        let fourBit = CompressionPlan(layers: session.layers, defaults: LayerSettings(bits: .integer(4)))
        let report = SizeModel.report(tensors: session.weights, layers: session.layers, plan: fourBit)
        XCTAssertEqual(report.layers.first?.size, TensorSize(payload: 36, scales: 16))
        XCTAssertEqual(report.baselineBytes, 108)
    }

    /// A blocked uint4 MatMul weight with zero points off the midpoint; a weight read by two
    /// DequantizeLinear nodes keeps the node's output name.
    func testBlockedUInt4MatMulWeight() throws {
        let q = Tensor(shape: [8, 3], ints: (0..<24).map { Int64(($0 * 7) % 16) }, dtype: .uint4)
        let scale = Tensor(shape: [2, 3], floats: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
        let zero = Tensor(shape: [2, 3], ints: [8, 3, 8, 8, 8, 1], dtype: .uint4)
        let model = M.model([
            Node(opType: "DequantizeLinear", inputs: ["w_q", "w_scale", "w_zero"], outputs: ["w"],
                 attributes: ["axis": .int(0), "block_size": .int(4)]),
            Node(opType: "MatMul", inputs: ["x", "w"], outputs: ["y"]),
        ], initializers: ["w_q": q, "w_scale": scale, "w_zero": zero], opset: 21)
        let session = try M.session(model, sampleShape: [8], kernels: OpRegistry.kernels(opset: OpRegistry.newestOpset))
        let stored = try XCTUnwrap(session.layers.first?.stored)
        XCTAssertEqual(stored.summary, "uint4 asymmetric blocked-4")
        XCTAssertEqual(stored.size, TensorSize(payload: 12, scales: 24, zeroPoints: 3))
        let w = try XCTUnwrap(session.weights["w_q"])
        XCTAssertEqual(w.floats[4 * 3 + 1], Float(q.ints[4 * 3 + 1] - 8) * 0.5)
        XCTAssertEqual(w.floats[1], Float(q.ints[1] - 3) * 0.2)

        let shared = M.model([
            Node(opType: "DequantizeLinear", inputs: ["w_q", "w_scale", "w_zero"], outputs: ["w1"],
                 attributes: ["axis": .int(0), "block_size": .int(4)]),
            Node(opType: "DequantizeLinear", inputs: ["w_q", "w_scale", "w_zero"], outputs: ["w2"],
                 attributes: ["axis": .int(0), "block_size": .int(4)]),
            Node(opType: "MatMul", inputs: ["x", "w1"], outputs: ["h"]),
            Node(opType: "Transpose", inputs: ["w2"], outputs: ["w2t"]),
            Node(opType: "MatMul", inputs: ["h", "w2t"], outputs: ["y"]),
        ], initializers: ["w_q": q, "w_scale": scale, "w_zero": zero], opset: 21)
        let sharedSession = try M.session(shared, sampleShape: [8], kernels: OpRegistry.kernels(opset: OpRegistry.newestOpset))
        XCTAssertEqual(sharedSession.layers.map(\.name), ["w1", "w2t"])
        XCTAssertNotNil(sharedSession.layers.first?.stored)
        XCTAssertNil(sharedSession.layers.last?.stored, "a transposed weight is an ordinary folded constant")
    }

    /// Activation QuantizeLinear → DequantizeLinear pairs run as kernels (fake quantization).
    func testActivationQDQRunsAsKernels() throws {
        let model = M.model([
            Node(opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"]),
            Node(opType: "DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["y"]),
        ], initializers: ["s": .scalar(0.5), "z": Tensor(shape: [], ints: [10], dtype: .uint8)], opset: 13)
        let session = try M.session(model, sampleShape: [6], kernels: OpRegistry.kernels(opset: OpRegistry.newestOpset))
        XCTAssertTrue(session.layers.isEmpty)
        let x = Tensor(shape: [1, 6], floats: [0.25, 0.75, -1.26, 1000, -1000, 1.0])
        XCTAssertEqual(try session.run(x).output.floats, [0, 1, -1.5, 122.5, -5, 1])
    }

    func testUnsupportedQuantizedTypesAreRefusedByName() {
        let node = Node(name: "q8", opType: "QuantizeLinear", inputs: ["x", "s"], outputs: ["y"],
                        attributes: ["output_dtype": .int(17)])
        XCTAssertThrowsError(try LinearQuantization.quantizeLinear(node, [Tensor(shape: [1], floats: [1]), .scalar(1)])) {
            let message = ($0 as? LatheError)?.message ?? ""
            XCTAssertTrue(message.contains("q8") && message.contains("FLOAT8E4M3FN"), message)
        }
    }
}
