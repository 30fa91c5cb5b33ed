import XCTest
@testable import LatheCore

/// HardSwish spelled out in four nodes becomes one node, and Mul/Add/Sub by scalar constants around
/// an activation fuse into the producing Conv as its epilogue (PP-LCNet's learnable affine blocks):
/// the values are those of the unfused graph.
final class EpilogueFusionTests: XCTestCase {
    typealias M = ExecutorTestModels

    private let production = OpRegistry.kernels(opset: 17)

    /// Seeded values in [-k, k]: past HardSwish's bends at ±3.
    private func scaled(_ t: Tensor, _ k: Float) -> Tensor { Tensor(shape: t.shape, floats: t.floats.map { $0 * k }) }

    /// x · relu6(x + 3) / 6 in one of the two spellings exporters write, reading `x`, writing `out`.
    private func hardSwishNodes(_ x: String, _ out: String, divideLast: Bool) -> [Node] {
        let add = Node(opType: "Add", inputs: ["three", x], outputs: [out + ".a"])
        let clip = Node(opType: "Clip", inputs: [out + ".a", "zero", "six"], outputs: [out + ".c"])
        if divideLast {
            return [add, clip, Node(opType: "Mul", inputs: [x, out + ".c"], outputs: [out + ".m"]),
                    Node(opType: "Div", inputs: [out + ".m", "six"], outputs: [out])]
        }
        return [add, clip, Node(opType: "Div", inputs: [out + ".c", "six"], outputs: [out + ".d"]),
                Node(opType: "Mul", inputs: [out + ".d", x], outputs: [out])]
    }

    private var constants: [String: Tensor] {
        ["three": M.floats([3], [1]), "zero": .scalar(0), "six": .scalar(6), "s1": .scalar(1.75),
         "t1": M.floats([0.5], [1]), "s2": .scalar(0.25), "t2": .scalar(-0.125)]
    }

    /// Conv → Mul s1 → Add t1 → HardSwish (four nodes) → Mul s2 → Sub t2 → Conv: one Conv with the
    /// whole epilogue, then the second Conv, which still reads the value under its name.
    func testLearnableAffineBlockAroundHardSwishFusesIntoTheConv() throws {
        for divideLast in [true, false] {
            var rng = ExecutorSeededFloats(seed: 21)
            let nodes = [Node(opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"]),
                         Node(opType: "Mul", inputs: ["s1", "c"], outputs: ["m1"]),
                         Node(opType: "Add", inputs: ["m1", "t1"], outputs: ["a1"])]
                + hardSwishNodes("a1", "h", divideLast: divideLast)
                + [Node(opType: "Mul", inputs: ["h", "s2"], outputs: ["m2"]),
                   Node(opType: "Sub", inputs: ["m2", "t2"], outputs: ["a2"]),
                   Node(opType: "Conv", inputs: ["a2", "w2"], outputs: ["y"])]
            let model = M.model(nodes, initializers: constants.merging(
                ["w": rng.tensor([3, 2, 3, 3]), "b": rng.tensor([3]), "w2": rng.tensor([2, 3, 1, 1])]) { a, _ in a })
            let session = try M.session(model, sampleShape: [2, 9, 11], kernels: production)
            XCTAssertEqual(session.graph.nodes.map(\.opType), ["Conv", "Conv"], "divideLast \(divideLast)")
            let conv = session.graph.nodes[0]
            XCTAssertEqual(conv.outputs, ["a2"])
            XCTAssertEqual(try FusedActivation(node: conv), FusedActivation(
                kind: .hardSwish, pre: .init(scale: 1.75, shift: 0.5), post: .init(scale: 0.25, shift: 0.125)))
            XCTAssertEqual(session.layerInputName(session.layers[1]), "a2")
            let x = scaled(rng.tensor([3, 2, 9, 11]), 4)
            let reference = try XCTUnwrap(try ExecutorTestKernels.naiveRun(model.graph, input: ("x", x),
                                                                           kernels: production)["y"])
            executorAssertClose(try session.run(x).output, reference, tolerance: 1e-5)
        }
    }

    /// Away from a producer the four nodes still become one HardSwish node, with the same values.
    func testHardSwishIsRecognisedAfterAnyNode() throws {
        let nodes = [Node(opType: "Mul", inputs: ["x", "x"], outputs: ["sq"])]
            + hardSwishNodes("sq", "y", divideLast: true)
        let model = M.model(nodes, initializers: constants)
        let session = try M.session(model, sampleShape: [5, 7], kernels: production)
        XCTAssertEqual(session.graph.nodes.map(\.opType), ["Mul", "HardSwish"])
        var rng = ExecutorSeededFloats(seed: 22)
        let x = scaled(rng.tensor([4, 5, 7]), 3)
        let reference = try XCTUnwrap(try ExecutorTestKernels.naiveRun(model.graph, input: ("x", x),
                                                                       kernels: production)["y"])
        executorAssertClose(try session.run(x).output, reference, tolerance: 1e-6)
    }

    /// Not HardSwish: bounds other than (0, 6), an intermediate read twice, a different x on each side.
    func testLookalikesAreLeftAlone() throws {
        var wrongBound = M.model(hardSwishNodes("x", "y", divideLast: true), initializers: constants).graph
        wrongBound.nodes[1].inputs[2] = "five"
        wrongBound.initializers["five"] = .scalar(5)
        XCTAssertEqual(HardSwishRecognition.apply(&wrongBound), 0)

        var shared = M.model(hardSwishNodes("x", "h", divideLast: true)
                             + [Node(opType: "Add", inputs: ["h", "h.c"], outputs: ["y"])], initializers: constants).graph
        XCTAssertEqual(HardSwishRecognition.apply(&shared), 0)

        var otherX = M.model(hardSwishNodes("x", "y", divideLast: true), initializers: constants,
                             inputs: ["z"]).graph
        otherX.nodes[2].inputs[0] = "z"
        XCTAssertEqual(HardSwishRecognition.apply(&otherX), 0)
    }

    /// Only scalar constants fuse (a per-channel Mul stays a node); a stage fills once, in order, so a
    /// second Mul after the post scale stays too; a shift with another reader stays.
    func testOnlyScalarsFuseAndEachStageOnce() throws {
        var rng = ExecutorSeededFloats(seed: 23)
        let model = M.model([
            Node(opType: "Conv", inputs: ["x", "w"], outputs: ["c"]),
            Node(opType: "Mul", inputs: ["c", "perChannel"], outputs: ["m"]),
            Node(opType: "Conv", inputs: ["m", "w2"], outputs: ["c2"]),
            Node(opType: "Relu", inputs: ["c2"], outputs: ["r"]),
            Node(opType: "Mul", inputs: ["r", "s1"], outputs: ["m2"]),
            Node(opType: "Mul", inputs: ["m2", "s2"], outputs: ["y"]),
        ], initializers: ["w": rng.tensor([3, 2, 1, 1]), "w2": rng.tensor([3, 3, 1, 1]),
                          "perChannel": rng.tensor([1, 3, 1, 1]), "s1": .scalar(2), "s2": .scalar(3)])
        let session = try M.session(model, sampleShape: [2, 4, 4], kernels: production)
        XCTAssertEqual(session.graph.nodes.map(\.opType), ["Conv", "Mul", "Conv", "Mul"])
        XCTAssertEqual(try FusedActivation(node: session.graph.nodes[2]),
                       FusedActivation(kind: .relu, post: .init(scale: 2)))
        let x = rng.tensor([2, 2, 4, 4])
        let reference = try XCTUnwrap(try ExecutorTestKernels.naiveRun(model.graph, input: ("x", x),
                                                                       kernels: production)["y"])
        executorAssertClose(try session.run(x).output, reference, tolerance: 1e-6)
    }

    /// Every kind's lane form (the type kernels are compiled with, `FusedActivation.dispatch`) equals
    /// the scalar form bit for bit, NaN, infinities and signed zeros included, with and without the
    /// affine stages; so are the stored loop's body and tail.
    func testEveryLaneEpilogueMatchesScalar() {
        let values: [Float] = [-.infinity, -100, -6.5, -3, -0.5, -0.0, 0, 1e-3, 0.5, 2.9, 3, 6, 6.5, 90, .infinity,
                               .nan, -1e-30, 42]
        let kinds: [FusedActivation.Kind] = [.identity, .relu, .leakyRelu(alpha: 0.1), .clip(min: 0, max: 6),
                                             .sigmoid, .hardSigmoid(alpha: 0.2, beta: 0.5), .hardSwish, .tanh, .silu]
        for kind in kinds {
            for epilogue in [FusedActivation(kind: kind),
                             FusedActivation(kind: kind, pre: .init(scale: 0.75, shift: -1), post: .init(scale: 2))] {
                for start in stride(from: 0, to: 16, by: 8) {
                    let vector = epilogue.apply(SIMD8<Float>(values[start..<start + 8]))
                    for lane in 0..<8 {
                        XCTAssertTrue(Self.same(vector[lane], epilogue.apply(values[start + lane])),
                                      "\(epilogue) at \(values[start + lane]): \(vector[lane])")
                    }
                }
                var stored = [Float](repeating: 0, count: values.count)
                values.withUnsafeBufferPointer { src in
                    stored.withUnsafeMutableBufferPointer { dst in
                        epilogue.storeAddingBias(from: src.baseAddress!, to: dst.baseAddress!, count: src.count, bias: 0)
                    }
                }
                // The loop adds the bias first (+0 here, which turns -0 into +0).
                for (value, result) in zip(values, stored) {
                    XCTAssertTrue(Self.same(result, epilogue.apply(value + 0)), "\(epilogue) stored at \(value): \(result)")
                }
            }
        }
    }

    /// SiLU's stored loop (sixteen lanes at a time in C where the CPU has AVX-512, the Swift loop for
    /// the rest) gives the scalar form's bits on every kind of float: random bit patterns (NaN,
    /// infinities, subnormals), values around the exponent clamps, and an ordinary range.
    func testSiLUStoreMatchesScalarOnManyValues() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt32 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt32(truncatingIfNeeded: state >> 16)
        }
        var values: [Float] = []
        for _ in 0..<4000 { values.append(Float(bitPattern: next())) }
        for _ in 0..<4000 { values.append(Float(next() % 240_000) / 1000 - 120) }
        for edge: Float in [88.3, -87.3, 88.29, -87.29, 88.31, -87.31, 0, -0.0, .leastNonzeroMagnitude, .nan] {
            values += [edge, edge.nextUp, edge.nextDown]
        }
        values.append(1)  // a count that leaves a tail
        let bias: Float = 0.375
        var stored = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { src in
            stored.withUnsafeMutableBufferPointer { dst in
                FusedActivation.silu.storeAddingBias(from: src.baseAddress!, to: dst.baseAddress!, count: src.count,
                                                     bias: bias)
            }
        }
        var mismatches = 0
        for (value, result) in zip(values, stored) where !Self.same(result, FusedActivation.silu.apply(value + bias)) {
            mismatches += 1
            if mismatches <= 5 { XCTFail("SiLU(\(value) + \(bias)): stored \(result), scalar \(FusedActivation.silu.apply(value + bias))") }
        }
        XCTAssertEqual(mismatches, 0)
    }

    /// The same bits, or both NaN (which NaN payload survives may depend on operand order).
    static func same(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    /// The SIMD epilogue equals the scalar one lane for lane, and the in-place loop (SIMD body and
    /// tail) gives those values.
    func testAffineEpilogueSIMDMatchesScalar() {
        let values: [Float] = [-100, -20, -3.5, -1, -0.25, 0, 0.3, 1, 2.5, 9, 40, 100, -7, 15, 3, -3, 0.01]
        let epilogues = [FusedActivation(kind: .hardSwish, pre: .init(scale: 1.5, shift: 0.25), post: .init(scale: -2, shift: 1)),
                         FusedActivation(kind: .identity, post: .init(shift: 3)),
                         FusedActivation(kind: .silu, pre: .init(scale: 0.5))]
        for epilogue in epilogues {
            for start in stride(from: 0, to: 16, by: 8) {
                let lanes = SIMD8<Float>(values[start..<start + 8])
                let vector = epilogue.apply(lanes)
                for lane in 0..<8 {
                    XCTAssertEqual(vector[lane].bitPattern, epilogue.apply(lanes[lane]).bitPattern, "\(epilogue)")
                }
            }
            var buffer = values
            buffer.withUnsafeMutableBufferPointer { epilogue.addBiasAndApply(to: $0.baseAddress!, count: $0.count, bias: 0.5) }
            XCTAssertEqual(buffer, values.map { epilogue.apply($0 + 0.5) }, "\(epilogue)")
        }
        XCTAssertEqual(FusedActivation(kind: .relu, pre: .init(scale: 2, shift: -1), post: .init(scale: 3, shift: 0.5)).apply(2),
                       3 * 3 + 0.5)
    }
}
