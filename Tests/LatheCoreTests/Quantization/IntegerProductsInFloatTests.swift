import XCTest
@testable import LatheCore

/// ConvInteger and MatMulInteger on the float kernels give the integer kernels' sums exactly, Winograd-sized
/// layers included, and leave to the integer kernels what Float could not sum exactly; the vectorised
/// QuantizeLinear and DynamicQuantizeLinear loops give the scalar rule's integers.
final class IntegerProductsInFloatTests: XCTestCase {
    private struct Generator {
        var state: UInt64
        mutating func next(_ range: ClosedRange<Int64>) -> Int64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return range.lowerBound + Int64((state >> 33) % UInt64(range.upperBound - range.lowerBound + 1))
        }
    }

    /// uint8 activations with a zero point, and float whole-number weights (what `IntegerWeightLayers` hands the
    /// kernel), through ConvInteger's float path and its integer path.
    private func assertConvMatches(x xShape: [Int], w wShape: [Int], attributes: [String: AttributeValue],
                                   weightRange: ClosedRange<Int64> = -127...127, expectFloatPath: Bool = true,
                                   _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var rng = Generator(state: UInt64(xShape.reduce(0, +) * 31 + wShape.reduce(0, +)))
        let x = Tensor(shape: xShape, ints: (0..<xShape.reduce(1, *)).map { _ in rng.next(0...255) }, dtype: .uint8)
        let zero = Tensor(shape: [], ints: [rng.next(0...255)], dtype: .uint8)
        let weights = (0..<wShape.reduce(1, *)).map { _ in rng.next(weightRange) }
        let node = Node(name: label, opType: "ConvInteger", inputs: [], outputs: [], attributes: attributes)
        let floatPath = try IntegerProductsInFloat.conv(node, x: x, w: Tensor(shape: wShape, floats: weights.map { Float($0) }),
                                                        xZeroPoint: zero)
        let viaKernel = try IntegerConv.convInteger(node, [x, Tensor(shape: wShape, floats: weights.map { Float($0) }), zero])[0]
        let integer = try IntegerConv.Problem(node: node, x: x, w: Tensor(shape: wShape, ints: weights, dtype: .int32),
                                              xZeroPoint: zero, wZeroPoint: nil)
        XCTAssertEqual(floatPath != nil, expectFloatPath, label, file: file, line: line)
        XCTAssertEqual(viaKernel.ints, integer.sums().map { Int64($0) }, label, file: file, line: line)
        XCTAssertEqual(viaKernel.dtype, .int32, label, file: file, line: line)
        XCTAssertEqual(viaKernel.shape, integer.outputShape, label, file: file, line: line)
    }

    func testConvIntegerOnTheFloatKernelsIsExact() throws {
        // 3×3 stride 1 with 32 channels: the float Conv would take Winograd, whose transforms round.
        try assertConvMatches(x: [2, 32, 12, 10], w: [32, 32, 3, 3], attributes: ["pads": .ints([1, 1, 1, 1])],
                              "winograd-sized 3x3")
        try assertConvMatches(x: [1, 16, 15, 15], w: [24, 16, 3, 3],
                              attributes: ["strides": .ints([2, 2]), "pads": .ints([0, 1, 1, 0])], "strided, padded")
        try assertConvMatches(x: [3, 8, 9, 9], w: [8, 1, 5, 5], attributes: ["group": .int(8), "pads": .ints([2, 2, 2, 2])],
                              "depthwise 5x5")
        try assertConvMatches(x: [2, 64, 7, 7], w: [40, 64, 1, 1], attributes: [:], "pointwise")
        try assertConvMatches(x: [2, 6, 20], w: [4, 3, 3], attributes: ["group": .int(2), "dilations": .ints([2])],
                              "1-D grouped, dilated")
        // Weights re-compressed to whole numbers as large as the integer kernel takes: sums past 2^24 could round.
        try assertConvMatches(x: [1, 16, 6, 6], w: [4, 16, 3, 3], attributes: [:], weightRange: 30_000...60_000,
                              expectFloatPath: false, "sums past 2^24 stay on the integer kernel")
    }

    func testMatMulIntegerOnTheFloatKernelIsExact() throws {
        var rng = Generator(state: 7)
        let a = Tensor(shape: [2, 5, 64], ints: (0..<640).map { _ in rng.next(0...255) }, dtype: .uint8)
        let zero = Tensor(shape: [], ints: [131], dtype: .uint8)
        for (range, floatPath) in [(Int64(-128)...127, true), (Int64(20_000)...65_000, false)] {
            let b = (0..<(64 * 48)).map { _ in rng.next(range) }
            let node = Node(name: "mm", opType: "MatMulInteger", inputs: [], outputs: [])
            XCTAssertEqual(try IntegerProductsInFloat.matMul(node, a: a, b: Tensor(shape: [64, 48], floats: b.map { Float($0) }),
                                                             aZeroPoint: zero) != nil, floatPath)
            let viaKernel = try IntegerMatMul.matMulInteger(node, [a, Tensor(shape: [64, 48], floats: b.map { Float($0) }),
                                                                   zero])[0]
            let integer = try IntegerMatMul.Product(node: node, a: a, b: Tensor(shape: [64, 48], ints: b, dtype: .int32),
                                                    aZeroPoint: zero, bZeroPoint: nil)
            XCTAssertEqual(viaKernel.ints, integer.sums().map { Int64($0) })
            XCTAssertEqual(viaKernel.shape, [2, 5, 48])
        }
    }

    /// A weight that is not a whole number is the integer kernel's to refuse, by name.
    func testFractionalWeightsAreRefusedAsBefore() {
        let x = Tensor(shape: [1, 1, 3, 3], ints: [Int64](repeating: 3, count: 9), dtype: .uint8)
        let node = Node(name: "conv_q", opType: "ConvInteger", inputs: [], outputs: [])
        XCTAssertThrowsError(try IntegerConv.convInteger(node, [x, Tensor(shape: [1, 1, 2, 2], floats: [1, 2.5, 3, 4])])) {
            let message = ($0 as? LatheError)?.message ?? ""
            XCTAssertTrue(message.contains("conv_q") && message.contains("2.5"), message)
        }
    }

    /// QuantizeLinear's and DynamicQuantizeLinear's loops give `QuantizedArithmetic.quantize`'s integers, NaN and
    /// infinities included; the dynamic range passes over NaN.
    func testVectorisedQuantizationGivesTheScalarIntegers() throws {
        var values: [Float] = [.nan, .infinity, -.infinity, 0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e30, -1e30]
        var rng = ExecutorSeededFloats(seed: 17)
        values += (0..<301).map { _ in rng.next() * 40 }
        for (dtype, zero) in [(DType.uint8, Int64(3)), (.int8, -7), (.int16, 1000), (.uint4, 8)] {
            let scale: Float = 0.173
            let node = Node(opType: "QuantizeLinear", inputs: [], outputs: [])
            let q = try LinearQuantization.quantizeLinear(node, [Tensor(shape: [values.count], floats: values), .scalar(scale),
                                                                 Tensor(shape: [], ints: [zero], dtype: dtype)])[0]
            let range = try XCTUnwrap(dtype.integerRange)
            XCTAssertEqual(q.ints, values.map { QuantizedArithmetic.quantize($0 / scale, zeroPoint: zero, range: range) },
                           "\(dtype)")
        }
        let finite = values.filter { !$0.isNaN && $0.isFinite }
        let dynamic = try LinearQuantization.dynamicQuantizeLinear(Node(opType: "DynamicQuantizeLinear", inputs: [],
                                                                        outputs: []),
                                                                   [Tensor(shape: [finite.count + 1], floats: finite + [.nan])])
        let low = min(0, finite.min() ?? 0), high = max(0, finite.max() ?? 0)
        let scale = (high - low) / 255
        let zero = Int64(min(max(-low / scale, 0), 255).rounded(.toNearestOrEven))
        XCTAssertEqual(dynamic[1].floats, [scale])
        XCTAssertEqual(dynamic[2].ints, [zero])
        XCTAssertEqual(dynamic[0].ints, (finite + [.nan]).map { QuantizedArithmetic.quantize($0 / scale, zeroPoint: zero,
                                                                                              range: 0...255) })
    }
}

/// `DynamicQuantizationFusion` on quantize_dynamic's pattern: the integers stay Float between the nodes, the
/// Casts go, and the outputs are the unfused graph's bit for bit.
final class DynamicQuantizationFusionTests: XCTestCase {
    typealias M = ExecutorTestModels

    private let production = OpRegistry.kernels(opset: OpRegistry.newestOpset)

    /// x → DynamicQuantizeLinear → ConvInteger (3×3, 32 channels: Winograd-sized) → Cast → Mul(x scale · w scale)
    /// → Relu → DynamicQuantizeLinear → MatMulInteger over the last axis → Cast → Mul.
    private func model() -> Model {
        var state: UInt64 = 99
        func int8(_ count: Int) -> [Int64] {
            (0..<count).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1
                return Int64((state >> 33) % 255) - 127
            }
        }
        return M.model([
            Node(opType: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["xq", "xs", "xz"]),
            Node(opType: "Mul", inputs: ["xs", "ws"], outputs: ["cs"]),
            Node(opType: "ConvInteger", inputs: ["xq", "w", "xz", "wz"], outputs: ["ci"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            Node(opType: "Cast", inputs: ["ci"], outputs: ["cf"], attributes: ["to": .int(1)]),
            Node(opType: "Mul", inputs: ["cf", "cs"], outputs: ["c"]),
            Node(opType: "Relu", inputs: ["c"], outputs: ["r"]),
            Node(opType: "DynamicQuantizeLinear", inputs: ["r"], outputs: ["rq", "rs", "rz"]),
            Node(opType: "Mul", inputs: ["rs", "bs"], outputs: ["ms"]),
            Node(opType: "MatMulInteger", inputs: ["rq", "b", "rz", "bz"], outputs: ["mi"]),
            Node(opType: "Cast", inputs: ["mi"], outputs: ["mf"], attributes: ["to": .int(1)]),
            Node(opType: "Mul", inputs: ["mf", "ms"], outputs: ["y"]),
        ], initializers: [
            "w": Tensor(shape: [32, 32, 3, 3], ints: int8(32 * 32 * 9), dtype: .int8),
            "wz": Tensor(shape: [], ints: [0], dtype: .int8), "ws": .scalar(0.004),
            "b": Tensor(shape: [6, 5], ints: int8(30), dtype: .int8),
            "bz": Tensor(shape: [], ints: [0], dtype: .int8), "bs": .scalar(0.01),
        ], opset: 13)
    }

    func testTheIntegersStayFloatWithTheUnfusedValues() throws {
        let model = model()
        let session = try M.session(model, sampleShape: [32, 7, 6], kernels: production)
        XCTAssertEqual(session.graph.nodes.map(\.opType).filter { $0 != "Mul" && $0 != "Relu" },
                       ["DynamicQuantizeLinear", "ConvInteger", "DynamicQuantizeLinear", "MatMulInteger"])
        let conv = try XCTUnwrap(session.graph.nodes.first { $0.opType == "ConvInteger" })
        XCTAssertEqual(conv.outputs, ["cf"])
        XCTAssertEqual(conv.int(IntegerProductsInFloat.floatSumsKey), 1)
        XCTAssertEqual(session.layers.map(\.name), ["w", "b"])
        XCTAssertEqual(session.layerInputName(session.layers[1]), "rq")
        var rng = ExecutorSeededFloats(seed: 4)
        let x = rng.tensor([3, 32, 7, 6], scale: 3)
        let reference = try XCTUnwrap(try ExecutorTestKernels.naiveRun(model.graph, input: ("x", x), kernels: production)["y"])
        let got = try session.run(x).output
        XCTAssertEqual(got.shape, reference.shape)
        XCTAssertEqual(got.floats.map(\.bitPattern), reference.floats.map(\.bitPattern))
    }

    /// A quantized tensor another node reads too, or read with another zero point, keeps its integers.
    func testOtherReadersKeepTheIntegers() throws {
        var graph = model().graph
        graph.nodes.append(Node(opType: "Cast", inputs: ["xq"], outputs: ["extra"], attributes: ["to": .int(1)]))
        XCTAssertEqual(DynamicQuantizationFusion.apply(&graph), 1, "only the second DynamicQuantizeLinear")
        XCTAssertNil(graph.nodes[0].int(LinearQuantization.stepsKey))
        var other = model().graph
        other.nodes[8].inputs[2] = "xz"
        XCTAssertEqual(DynamicQuantizationFusion.apply(&other), 1, "only the first")
    }
}
