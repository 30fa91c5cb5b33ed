import XCTest
@testable import LatheCore

/// A QDQ model's activation QuantizeLinear → DequantizeLinear pairs run as one node
/// (`QuantizeDequantizeFusion`), giving bitwise the two kernels' values, and only where the pair
/// undoes exactly its own grid.
final class QuantizeDequantizeFusionTests: XCTestCase {
    typealias M = ExecutorTestModels

    private let production = OpRegistry.kernels(opset: OpRegistry.newestOpset)

    /// Seeded values across and past the grid, with its ties, its ends, zeros of both signs, huge values,
    /// infinities and NaN.
    private func values(count: Int, scale: Float, seed: UInt64) -> [Float] {
        var rng = ExecutorSeededFloats(seed: seed)
        let special: [Float] = [0, -0, .nan, .infinity, -.infinity, .greatestFiniteMagnitude, -1e-30, 1e-30,
                                0.5 * scale, -0.5 * scale, 1.5 * scale, -2.5 * scale, 127.5 * scale, -128.5 * scale,
                                255.5 * scale, 32767.5 * scale, 7.5 * scale, -8.5 * scale]
        return (0..<count).map { i in i < special.count ? special[i] : rng.next() * 300 * scale }
    }

    private func assertFusedEqualsPair(x: Tensor, scale: Tensor, zeroPoint: Tensor?, attributes: [String: AttributeValue],
                                       _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let inputs: [Tensor?] = [x, scale] + (zeroPoint.map { [$0] } ?? [])
        let quantize = Node(opType: "QuantizeLinear", inputs: [], outputs: [], attributes: attributes)
        let q = try LinearQuantization.quantizeLinear(quantize, inputs)[0]
        let pair = try LinearQuantization.dequantizeLinear(Node(opType: "DequantizeLinear", inputs: [], outputs: [],
                                                                attributes: attributes),
                                                           [q, scale] + (zeroPoint.map { [$0] } ?? []))[0]
        var fusedNode = quantize
        fusedNode.attributes[LinearQuantization.dequantizeKey] = .int(1)
        let fused = try LinearQuantization.quantizeLinear(fusedNode, inputs)[0]
        XCTAssertEqual(fused.shape, pair.shape, label, file: file, line: line)
        XCTAssertEqual(fused.dtype, .float32, label, file: file, line: line)
        XCTAssertEqual(fused.floats.map(\.bitPattern), pair.floats.map(\.bitPattern), label, file: file, line: line)
    }

    /// Per tensor, every quantized type, zero points inside and at the ends of the range, scales that are
    /// powers of two (exact ties), not (rounded quotients), zero and NaN.
    func testPerTensorFusionIsBitwiseThePairForEveryType() throws {
        let cases: [(DType, [Int64])] = [(.uint8, [0, 128, 255]), (.int8, [-128, -3, 0, 127]),
                                         (.uint16, [0, 30000]), (.int16, [-100, 0, 100]),
                                         (.uint4, [0, 7, 15]), (.int4, [-8, -1, 7])]
        for scaleValue: Float in [0.5, 0.037, 3.0e-5, 0, .nan] {
            let x = Tensor(shape: [4, 77], floats: values(count: 308, scale: scaleValue == 0 || scaleValue.isNaN ? 1 : scaleValue,
                                                          seed: 5))
            let scale = Tensor.scalar(scaleValue)
            try assertFusedEqualsPair(x: x, scale: scale, zeroPoint: nil, attributes: [:], "uint8 implied, s \(scaleValue)")
            for (dtype, zeroPoints) in cases {
                for zero in zeroPoints {
                    try assertFusedEqualsPair(x: x, scale: scale, zeroPoint: Tensor(shape: [], ints: [zero], dtype: dtype),
                                              attributes: [:], "\(dtype) zero point \(zero), s \(scaleValue)")
                }
            }
        }
    }

    /// Per axis (one scale and zero point per channel) and blocked (opset 21) layouts.
    func testPerAxisAndBlockedFusionIsBitwiseThePair() throws {
        let x = Tensor(shape: [2, 3, 20], floats: values(count: 120, scale: 0.25, seed: 9))
        try assertFusedEqualsPair(x: x, scale: M.floats([0.25, 0.0625, 1.5]),
                                  zeroPoint: Tensor(shape: [3], ints: [-5, 0, 9], dtype: .int8),
                                  attributes: ["axis": .int(1)], "per axis 1")
        try assertFusedEqualsPair(x: x, scale: M.floats((0..<20).map { Float($0 + 1) * 0.01 }),
                                  zeroPoint: Tensor(shape: [20], ints: (0..<20).map { Int64($0 * 12) }, dtype: .uint8),
                                  attributes: ["axis": .int(-1)], "per axis -1")
        try assertFusedEqualsPair(x: x, scale: Tensor(shape: [2, 3, 5], floats: (0..<30).map { Float($0 % 7 + 1) * 0.03 }),
                                  zeroPoint: Tensor(shape: [2, 3, 5], ints: (0..<30).map { Int64($0 % 5) - 2 }, dtype: .int8),
                                  attributes: ["axis": .int(2), "block_size": .int(4)], "blocked")
    }

    /// The `abits` quantizers share the loop: bitwise their grid's `apply`, NaN staying NaN.
    func testActivationQuantizerIsItsGridElementByElement() {
        for (bits, lo, hi): (Int, Float, Float) in [(8, -1.3, 6.2), (4, 0, 3.7), (2, -5, -1), (8, 0, 0), (6, -0.02, 900)] {
            let quantizer = ActivationQuantizer(bits: bits, range: ActivationRange(min: lo, max: hi))
            let x = values(count: 500, scale: quantizer.grid.scale, seed: UInt64(bits))
            let quantized = quantizer.quantize(Tensor(shape: [5, 100], floats: x)).floats
            for (value, result) in zip(x, quantized) {
                let expected = quantizer.grid.apply(value)
                if expected.isNaN {
                    XCTAssertTrue(result.isNaN, "\(bits) bits, \(value)")
                } else {
                    XCTAssertEqual(result.bitPattern, expected.bitPattern, "\(bits) bits [\(lo), \(hi)], \(value)")
                }
            }
        }
    }

    private var parameters: [String: Tensor] {
        ["s": .scalar(0.05), "s_copy": .scalar(0.05), "s_other": .scalar(0.1),
         "z": Tensor(shape: [], ints: [12], dtype: .uint8), "z_copy": Tensor(shape: [], ints: [12], dtype: .uint8)]
    }

    /// Conv → QuantizeLinear → DequantizeLinear → Relu → QuantizeLinear → DequantizeLinear → Conv: each
    /// pair becomes one node writing the DequantizeLinear's output (the second Conv's layer input keeps its
    /// name), with the unfused graph's values bit for bit. The second pair's DequantizeLinear reads its scale
    /// and zero point under other names, with equal values.
    func testPairsBecomeOneNodeWithTheGraphsValues() throws {
        var rng = ExecutorSeededFloats(seed: 3)
        let model = M.model([
            Node(opType: "Conv", inputs: ["x", "w"], outputs: ["c"]),
            Node(opType: "QuantizeLinear", inputs: ["c", "s", "z"], outputs: ["cq"]),
            Node(opType: "DequantizeLinear", inputs: ["cq", "s", "z"], outputs: ["cd"]),
            Node(opType: "Relu", inputs: ["cd"], outputs: ["r"]),
            Node(opType: "QuantizeLinear", inputs: ["r", "s", "z"], outputs: ["rq"]),
            Node(opType: "DequantizeLinear", inputs: ["rq", "s_copy", "z_copy"], outputs: ["rd"]),
            Node(opType: "Conv", inputs: ["rd", "w2"], outputs: ["y"]),
        ], initializers: parameters.merging(["w": rng.tensor([4, 2, 3, 3]), "w2": rng.tensor([3, 4, 1, 1])]) { a, _ in a })
        let session = try M.session(model, sampleShape: [2, 8, 8], kernels: production)
        XCTAssertEqual(session.graph.nodes.map(\.opType), ["Conv", "QuantizeLinear", "Relu", "QuantizeLinear", "Conv"])
        XCTAssertEqual(session.graph.nodes[1].outputs, ["cd"])
        XCTAssertEqual(session.graph.nodes[3].outputs, ["rd"])
        XCTAssertEqual(session.layerInputName(session.layers[1]), "rd")
        let x = rng.tensor([3, 2, 8, 8], scale: 2)
        let reference = try XCTUnwrap(try ExecutorTestKernels.naiveRun(model.graph, input: ("x", x), kernels: production)["y"])
        XCTAssertEqual(try session.run(x).output.floats.map(\.bitPattern), reference.floats.map(\.bitPattern))
    }

    /// Left as two nodes: a quantized tensor read twice or as a graph output, and a DequantizeLinear with
    /// another scale or without the zero point.
    func testPairsThatDoNotUndoTheirOwnGridStayApart() throws {
        func fusedCount(_ nodes: [Node], outputs: [(String, DType?)] = [("y", .float32)]) throws -> Int {
            let model = M.model(nodes, initializers: parameters, outputs: outputs)
            var graph = model.graph
            return QuantizeDequantizeFusion.apply(&graph)
        }
        let quantize = Node(opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["q"])
        XCTAssertEqual(try fusedCount([quantize, Node(opType: "DequantizeLinear", inputs: ["q", "s", "z"], outputs: ["y"])]), 1)
        XCTAssertEqual(try fusedCount([quantize, Node(opType: "DequantizeLinear", inputs: ["q", "s_other", "z"],
                                                      outputs: ["y"])]), 0, "another scale")
        XCTAssertEqual(try fusedCount([quantize, Node(opType: "DequantizeLinear", inputs: ["q", "s"], outputs: ["y"])]), 0,
                       "no zero point")
        XCTAssertEqual(try fusedCount([quantize, Node(opType: "DequantizeLinear", inputs: ["q", "s", "z"], outputs: ["d"]),
                                       Node(opType: "Add", inputs: ["d", "q"], outputs: ["y"])]), 0, "read twice")
        XCTAssertEqual(try fusedCount([quantize, Node(opType: "DequantizeLinear", inputs: ["q", "s", "z"], outputs: ["y"])],
                                      outputs: [("y", .float32), ("q", .uint8)]), 0, "a graph output")
    }
}
