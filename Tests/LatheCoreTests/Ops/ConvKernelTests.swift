import XCTest
@testable import LatheCore

final class ConvKernelTests: XCTestCase {
    func testConvMatchesOnnxruntime() throws { try checkFixtures("conv.json") }
    func testConvTransposeMatchesOnnxruntime() throws { try checkFixtures("conv_transpose.json") }

    /// The vector stride-2 gather (and the unrolled larger strides) against element-by-element
    /// indexing, at every start, length and row end around the 8-wide blocks, so the last block
    /// before the row end (which reads one float past its last kept lane) is reached both ways.
    func testStridedGatherMatchesIndexing() {
        let source = (0..<200).map { Float($0) * 0.5 - 17 }
        source.withUnsafeBufferPointer { src in
            guard let base = src.baseAddress else { return XCTFail("empty source") }
            for stride in 2...4 {
                for start in 0..<10 {
                    for count in 0..<30 {
                        let last = (start + count - 1) * stride
                        // Row ends from just past the last read float to a little beyond it.
                        for rowEnd in (last + 1)...(last + 3) where rowEnd <= source.count {
                            var out = [Float](repeating: .nan, count: start + count + 1)
                            out.withUnsafeMutableBufferPointer { buffer in
                                guard let o = buffer.baseAddress else { return }
                                StridedGather.gather(base, stride: stride, into: o, range: start..<(start + count),
                                                     rowEnd: rowEnd)
                            }
                            let label = "stride \(stride) start \(start) count \(count) rowEnd \(rowEnd)"
                            XCTAssertEqual(Array(out[start..<(start + count)]),
                                           (start..<(start + count)).map { source[$0 * stride] }, label)
                            XCTAssertTrue(out[..<start].allSatisfy(\.isNaN), "wrote before the range: " + label)
                            XCTAssertTrue(out[start + count].isNaN, "wrote past the range: " + label)
                        }
                    }
                }
            }
        }
    }

    /// A compiled step's Conv kernel keeps its last setup (`LastValueMemo`): called with other shapes (batch,
    /// image size), without its bias, and back again, it gives exactly what a fresh call gives each time.
    func testARememberingConvFollowsItsInputsShapes() throws {
        let node = Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"],
                        attributes: ["pads": .ints([1, 0, 1, 2]), "strides": .ints([2, 1]), "group": .int(1)])
        func values(_ count: Int, _ scale: Float) -> [Float] { (0..<count).map { Float(($0 * 37) % 23) * scale - 1 } }
        let w = Tensor(shape: [4, 3, 3, 2], floats: values(72, 0.07))
        let b = Tensor(shape: [4], floats: [0.5, -0.25, 0, 1])
        let calls: [(x: Tensor, bias: Tensor?)] = [
            (Tensor(shape: [1, 3, 8, 8], floats: values(192, 0.1)), b),
            (Tensor(shape: [2, 3, 5, 7], floats: values(210, 0.05)), b),
            (Tensor(shape: [2, 3, 5, 7], floats: values(210, 0.05)), nil),
            (Tensor(shape: [1, 3, 8, 8], floats: values(192, 0.1)), b),
        ]
        let remembering = ConvKernel.remembering()
        for (index, call) in calls.enumerated() {
            let got = try remembering(node, [call.x, w, call.bias])
            let want = try ConvKernel.run(node, [call.x, w, call.bias])
            XCTAssertEqual(got[0].shape, want[0].shape, "call \(index)")
            XCTAssertEqual(got[0].floats, want[0].floats, "call \(index)")
        }
        XCTAssertNotEqual(try remembering(node, [calls[2].x, w, nil])[0].floats,
                          try remembering(node, [calls[1].x, w, b])[0].floats, "the bias must still count")
    }

    /// ConvTranspose from its definition (2-D): every input value times the kernel, added at
    /// `stride · position - pad + dilation · tap`.
    static func referenceConvTranspose(x: Tensor, w: Tensor, b: Tensor?, group: Int, strides: [Int], pads: [Int],
                                       dilations: [Int]) -> Tensor {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (mg, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
        let m = mg * group, cg = c / group
        let oh = strides[0] * (h - 1) + (kh - 1) * dilations[0] + 1 - pads[0] - pads[2]
        let ow = strides[1] * (wd - 1) + (kw - 1) * dilations[1] + 1 - pads[1] - pads[3]
        var y = [Float](repeating: 0, count: n * m * oh * ow)
        for i in 0..<n { for ic in 0..<c { for r in 0..<h { for s in 0..<wd {
            let g = ic / cg
            let value = x.floats[((i * c + ic) * h + r) * wd + s]
            for j in 0..<mg { for u in 0..<kh { for v in 0..<kw {
                let orow = r * strides[0] - pads[0] + u * dilations[0], ocol = s * strides[1] - pads[1] + v * dilations[1]
                guard orow >= 0, orow < oh, ocol >= 0, ocol < ow else { continue }
                y[((i * m + g * mg + j) * oh + orow) * ow + ocol] += value * w.floats[((ic * mg + j) * kh + u) * kw + v]
            }}}
        }}}}
        if let b {
            for i in 0..<n { for oc in 0..<m { for p in 0..<(oh * ow) { y[(i * m + oc) * oh * ow + p] += b.floats[oc] } } }
        }
        return Tensor(shape: [n, m, oh, ow], floats: y)
    }

    /// Kernels that tile the output (stride = kernel, unpadded) write each value once
    /// (`ConvTransposeKernel.placeTiles`); overlapping, padded or dilated ones scatter-add.
    /// Both against the definition, with groups, odd sizes, bias and a fused Relu, at batch
    /// sizes that split across workers.
    func testConvTransposeAgainstReferenceOnTilingAndOverlappingKernels() throws {
        var random = KernelReferenceTests.Random(state: 5)
        let convTranspose = try XCTUnwrap(OpRegistry.kernel("ConvTranspose"))
        var tiled = 0
        for index in 0..<120 {
            let group = random.int(1...2)
            let c = group * random.int(1...3), mg = random.int(1...3)
            let (kh, kw) = (random.int(1...3), random.int(1...3))
            let tiles = index % 2 == 0
            let strides = tiles ? [kh, kw] : [random.int(1...3), random.int(1...3)]
            let dilations = tiles ? [1, 1] : [random.int(1...2), random.int(1...2)]
            let pads = tiles ? [0, 0, 0, 0] : [random.int(0...1), random.int(0...1), random.int(0...1), random.int(0...1)]
            let (h, wd) = (random.int(1...7), random.int(1...19))
            let n = [1, 2, 5][random.int(0...2)]
            let x = random.tensor([n, c, h, wd]), w = random.tensor([c, mg, kh, kw])
            let b: Tensor? = random.int(0...1) == 0 ? random.tensor([mg * group]) : nil
            var want = Self.referenceConvTranspose(x: x, w: w, b: b, group: group, strides: strides, pads: pads,
                                                   dilations: dilations)
            guard want.shape[2] >= 1, want.shape[3] >= 1 else { continue }
            let relu = random.int(0...1) == 0
            var attributes: [String: AttributeValue] = [
                "group": .int(group), "strides": .ints(strides), "pads": .ints(pads), "dilations": .ints(dilations),
            ]
            if relu {
                attributes.merge(FusedActivation.relu.attributes) { $1 }
                want = Tensor(shape: want.shape, floats: want.floats.map { max($0, 0) })
            }
            let node = Node(name: "convT\(index)", opType: "ConvTranspose", inputs: ["x", "w", b == nil ? "" : "b"],
                            outputs: ["y"], attributes: attributes)
            let label = "case \(index): x \(x.shape) w \(w.shape) group \(group) strides \(strides) pads \(pads) "
                + "dilations \(dilations) relu \(relu)"
            let got = try convTranspose(node, [x, w, b])[0]
            assertClose(got, want, label)
            if tiles { tiled += 1 }
        }
        XCTAssertEqual(tiled, 60)
    }
}
