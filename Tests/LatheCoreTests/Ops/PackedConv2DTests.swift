import XCTest
@testable import LatheCore

/// The packed convolution (C micro-kernel reading a padded, stride-phased copy of the image) against
/// the im2col + OpenBLAS path it replaces for small weights, and its promise that the bits do not
/// depend on how positions, images or threads are split.
final class PackedConv2DTests: XCTestCase {
    struct Case {
        let x: Tensor, w: Tensor, b: Tensor?
        let node: Node
        let problem: ConvProblem
        var geometry: SpatialGeometry { problem.geometry.canonical() }
        var plan: ConvKernel.GemmPlan { ConvKernel.GemmPlan(problem, geometry) }

        init(x: Tensor, w: Tensor, b: Tensor?, group: Int, strides: [Int], dilations: [Int], pads: [Int]) throws {
            self.x = x
            self.w = w
            self.b = b
            node = Node(name: "conv", opType: "Conv", inputs: ["x", "w", b == nil ? "" : "b"], outputs: ["y"],
                        attributes: ["group": .int(group), "strides": .ints(strides), "dilations": .ints(dilations),
                                     "pads": .ints(pads)])
            problem = try ConvProblem(node: node, x: x, w: w, bias: b)
        }

        init(_ random: inout KernelReferenceTests.Random, n: Int, c: Int, m: Int, group: Int, h: Int, wd: Int,
             kernel: [Int], strides: [Int], dilations: [Int], pads: [Int], bias: Bool) throws {
            try self.init(x: random.tensor([n, c, h, wd]), w: random.tensor([m, c / group, kernel[0], kernel[1]]),
                          b: bias ? random.tensor([m]) : nil, group: group, strides: strides, dilations: dilations,
                          pads: pads)
        }

        var outputCount: Int { problem.batch * problem.outChannels * geometry.outputCount }

        /// Runs `body` on the case's buffers and returns the output.
        func output(_ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?,
                             UnsafeMutablePointer<Float>) -> Void) -> [Float] {
            var y = [Float](repeating: .nan, count: outputCount)
            x.floats.withUnsafeBufferPointer { xb in
                w.floats.withUnsafeBufferPointer { wb in
                    (b?.floats ?? []).withUnsafeBufferPointer { bb in
                        y.withUnsafeMutableBufferPointer { yb in
                            guard let xp = xb.baseAddress, let wp = wb.baseAddress, let yp = yb.baseAddress else { return }
                            body(xp, wp, b == nil ? nil : bb.baseAddress, yp)
                        }
                    }
                }
            }
            return y
        }

        func packed(activation: FusedActivation = .identity) -> [Float] {
            output { x, w, b, y in
                PackedConv2D.compute(problem, geometry, plan, x: x, w: w, bias: b, activation: activation, y: y)
            }
        }

        func blas(activation: FusedActivation = .identity) -> [Float] {
            output { x, w, b, y in
                ConvKernel.computePerImage(problem, geometry, plan, x: x, w: w, bias: b, activation: activation, y: y)
            }
        }

        /// With ReLU, the same bits serially, split over two workers, and image by image (stride 1, padding 1);
        /// returns the serial output.
        @discardableResult
        func assertSameBitsWhateverTheSplit(line: UInt = #line) throws -> [Float] {
            let serial = OpParallelism.$width.withValue(1) { packed(activation: .relu) }
            let split = OpParallelism.$width.withValue(2) { packed(activation: .relu) }
            XCTAssertEqual(serial, split, line: line)
            let plane = x.shape.dropFirst().reduce(1, *)
            let perImage = try (0..<x.shape[0]).flatMap { image in
                let one = Tensor(shape: [1] + x.shape.dropFirst(),
                                 floats: Array(x.floats[(image * plane)..<((image + 1) * plane)]))
                return try Case(x: one, w: w, b: b, group: 1, strides: [1, 1], dilations: [1, 1],
                                pads: [1, 1, 1, 1]).packed(activation: .relu)
            }
            XCTAssertEqual(perImage, serial, line: line)
            return serial
        }
    }

    /// Every output written, and within 1e-5 of the reference's range (at least 1) of it.
    static func assertAgrees(_ got: [Float], _ want: [Float], _ label: String, line: UInt = #line) {
        XCTAssertFalse(got.contains(where: \.isNaN), "left outputs unwritten: " + label, line: line)
        let scale = want.map(abs).max() ?? 1
        let error = zip(got, want).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(error, 1e-5 * max(1, scale), label, line: line)
    }

    /// Output rows narrower and wider than a panel, panels across row ends, every row-block tail
    /// (m mod 6), strides 1-3 (stride phases), dilations, asymmetric padding and groups.
    func testPackedPathAgreesWithIm2colAndOpenBLAS() throws {
        var random = KernelReferenceTests.Random(state: 7)
        var checked = 0
        while checked < 150 {
            let group = [1, 1, 2, 3][random.int(0...3)]
            let c = group * random.int(1...6), m = group * random.int(1...14)
            let kernel = [random.int(1...4), random.int(1...4)]
            let strides = [random.int(1...3), random.int(1...3)]
            let dilations = [random.int(1...2), random.int(1...2)]
            let pads = (0..<4).map { _ in random.int(0...3) }
            let h = random.int(1...12), wd = random.int(1...70)
            guard h + pads[0] + pads[2] >= (kernel[0] - 1) * dilations[0] + 1,
                  wd + pads[1] + pads[3] >= (kernel[1] - 1) * dilations[1] + 1,
                  kernel != [1, 1] || strides != [1, 1] || pads.contains(where: { $0 > 0 }) else { continue }
            let conv = try Case(&random, n: random.int(1...2), c: c, m: m, group: group, h: h, wd: wd, kernel: kernel,
                                strides: strides, dilations: dilations, pads: pads, bias: random.int(0...1) == 0)
            XCTAssertTrue(PackedConv2D.applies(conv.problem, conv.geometry, conv.plan))
            let activation: FusedActivation = checked % 3 == 0 ? .relu : .identity
            let got = conv.packed(activation: activation), want = conv.blas(activation: activation)
            let label = "case \(checked): x \(conv.x.shape) w \(conv.w.shape) group \(group) strides \(strides) "
                + "dilations \(dilations) pads \(pads)"
            Self.assertAgrees(got, want, label)
            checked += 1
        }
    }

    /// A stride-1 map whose width leaves panels across row ends, tall enough that a part's rows go
    /// through the wide-row buffer in several chunks: every row lands where the reference puts it.
    func testWideRowsInChunksAgreeWithIm2colAndOpenBLAS() throws {
        var random = KernelReferenceTests.Random(state: 5)
        let conv = try Case(&random, n: 1, c: 2, m: 22, group: 1, h: 300, wd: 200, kernel: [3, 3], strides: [1, 1],
                            dilations: [1, 1], pads: [1, 1, 1, 1], bias: true)
        let rowFloats = 22 * (200 + 2)
        let parts = OpParallelism.partCount(300, work: 22 * 2 * 9 * 300 * 200)
        XCTAssertLessThan(PackedConv2D.wideFloats / rowFloats, 300 / parts, "a part must take several chunks")
        Self.assertAgrees(conv.packed(activation: .relu), conv.blas(activation: .relu), "300x200, 2 channels")
    }

    /// Split across workers, or image by image, the values are the same bits.
    func testPackedPathGivesTheSameBitsWhateverTheSplit() throws {
        var random = KernelReferenceTests.Random(state: 3)
        let conv = try Case(&random, n: 3, c: 12, m: 22, group: 1, h: 40, wd: 45, kernel: [3, 3], strides: [1, 1],
                            dilations: [1, 1], pads: [1, 1, 1, 1], bias: true)
        XCTAssertGreaterThan(OpParallelism.partCount(conv.geometry.outputCount / 16,
                                                     work: 22 * 12 * 9 * conv.geometry.outputCount), 1)
        try conv.assertSameBitsWhateverTheSplit()
    }
}
