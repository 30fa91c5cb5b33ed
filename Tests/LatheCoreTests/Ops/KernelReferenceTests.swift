import XCTest
@testable import LatheCore

/// Randomised shapes against naive reference loops written straight from the
/// ONNX definitions: they reach the edges of the fast paths (SIMD block
/// boundaries, borders, folded GEMM batches) far more often than fixtures.
final class KernelReferenceTests: XCTestCase {
    /// Small deterministic generator so failures reproduce.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func float() -> Float { Float(next() % 2001) / 1000 - 1 }
        mutating func tensor(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in float() })
        }
    }

    /// Direct 2-D convolution (1-D as height 1) from the definition.
    static func referenceConv(x: Tensor, w: Tensor, b: Tensor?, group: Int, strides: [Int], dilations: [Int],
                              pads: [Int]) -> Tensor {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (m, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let oh = (h + pads[0] + pads[2] - ((kh - 1) * dilations[0] + 1)) / strides[0] + 1
        let ow = (wd + pads[1] + pads[3] - ((kw - 1) * dilations[1] + 1)) / strides[1] + 1
        let mg = m / group
        var y = [Float](repeating: 0, count: n * m * oh * ow)
        for i in 0..<n { for oc in 0..<m { for r in 0..<oh { for s in 0..<ow {
            let g = oc / mg
            var sum: Float = b?.floats[oc] ?? 0
            for ic in 0..<cg { for u in 0..<kh { for v in 0..<kw {
                let ih = r * strides[0] - pads[0] + u * dilations[0]
                let iw = s * strides[1] - pads[1] + v * dilations[1]
                guard ih >= 0, ih < h, iw >= 0, iw < wd else { continue }
                sum += x.floats[((i * c + g * cg + ic) * h + ih) * wd + iw] * w.floats[((oc * cg + ic) * kh + u) * kw + v]
            }}}
            y[((i * m + oc) * oh + r) * ow + s] = sum
        }}}}
        return Tensor(shape: [n, m, oh, ow], floats: y)
    }

    func testConvAgainstReferenceOnRandomShapes() throws {
        var random = Random(state: 42)
        let conv = try XCTUnwrap(OpRegistry.kernel("Conv"))
        var checked = 0
        while checked < 300 {
            let oneD = random.int(0...4) == 0
            let depthwise = random.int(0...1) == 0
            let group = depthwise ? random.int(1...4) : [1, 1, 2].randomElement(using: &random)
            let c = depthwise ? group : group * random.int(1...3)
            let m = depthwise ? group * random.int(1...2) : group * random.int(1...3)
            let kh = oneD ? 1 : random.int(1...5), kw = random.int(1...5)
            let h = oneD ? 1 : random.int(1...9), wd = random.int(1...80)
            let strides = [oneD ? 1 : random.int(1...3), random.int(1...3)]
            let dilations = [oneD ? 1 : random.int(1...2), random.int(1...2)]
            let pads = oneD ? [0, random.int(0...3), 0, random.int(0...3)]
                            : [random.int(0...3), random.int(0...3), random.int(0...3), random.int(0...3)]
            let n = random.int(1...3)
            let x = random.tensor([n, c, h, wd]), w = random.tensor([m, c / group, kh, kw])
            let b: Tensor? = random.int(0...1) == 0 ? random.tensor([m]) : nil
            let fitsH = h + pads[0] + pads[2] >= (kh - 1) * dilations[0] + 1
            let fitsW = wd + pads[1] + pads[3] >= (kw - 1) * dilations[1] + 1
            guard fitsH, fitsW else { continue }
            let want = Self.referenceConv(x: x, w: w, b: b, group: group, strides: strides, dilations: dilations, pads: pads)
            // 1-D cases go through the kernel as real 1-D tensors.
            let xIn = oneD ? Tensor(shape: [n, c, wd], floats: x.floats) : x
            let wIn = oneD ? Tensor(shape: [m, c / group, kw], floats: w.floats) : w
            var attributes: [String: AttributeValue] = ["group": .int(group)]
            attributes["strides"] = .ints(oneD ? [strides[1]] : strides)
            attributes["dilations"] = .ints(oneD ? [dilations[1]] : dilations)
            attributes["pads"] = .ints(oneD ? [pads[1], pads[3]] : pads)
            let node = Node(name: "conv\(checked)", opType: "Conv", inputs: ["x", "w", b == nil ? "" : "b"], outputs: ["y"],
                            attributes: attributes)
            let got = try conv(node, [xIn, wIn, b])[0]
            let label = "case \(checked): x \(xIn.shape) w \(wIn.shape) group \(group) strides \(strides) dilations \(dilations) pads \(pads)"
            assertClose(Tensor(shape: want.shape, floats: got.floats), want, label)
            XCTAssertEqual(got.shape, oneD ? [n, m, want.shape[3]] : want.shape, label)
            checked += 1
        }
    }

    /// Large 2-D outputs: the packed path (the registry's choice for these small weights) over
    /// thousands of panels, and im2col in bands of output rows (`ConvKernel.bandOperandFloats`,
    /// taken by large weights): padding, strides and dilations at band edges must give the
    /// reference values.
    func testConvOnLargeMapsRunsInBandsLikeTheReference() throws {
        var random = Random(state: 11)
        let conv = try XCTUnwrap(OpRegistry.kernel("Conv"))
        for (index, (c, h, wd, k, stride, dilation, pad)) in [
            (8, 200, 210, 3, 1, 1, 1), (6, 161, 300, 5, 2, 1, 2), (4, 180, 190, 3, 1, 2, 2), (16, 130, 140, 3, 1, 1, 0),
        ].enumerated() {
            let m = 5
            let x = random.tensor([1, c, h, wd]), w = random.tensor([m, c, k, k]), b = random.tensor([m])
            let outH = (h + 2 * pad - dilation * (k - 1) - 1) / stride + 1
            let outW = (wd + 2 * pad - dilation * (k - 1) - 1) / stride + 1
            XCTAssertGreaterThan(c * k * k * outH * outW, 2 * ConvKernel.bandOperandFloats, "case \(index) must run in bands")
            let want = Self.referenceConv(x: x, w: w, b: b, group: 1, strides: [stride, stride],
                                          dilations: [dilation, dilation], pads: [pad, pad, pad, pad])
            let node = Node(name: "banded\(index)", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"], attributes: [
                "strides": .ints([stride, stride]), "dilations": .ints([dilation, dilation]),
                "pads": .ints([pad, pad, pad, pad]),
            ])
            let got = try conv(node, [x, w, b])[0]
            XCTAssertEqual(got.shape, want.shape, "case \(index)")
            assertClose(got, want, "case \(index): x \(x.shape) k \(k) stride \(stride) dilation \(dilation) pad \(pad)")
            let banded = try PackedConv2DTests.Case(x: x, w: w, b: b, group: 1, strides: [stride, stride],
                                                    dilations: [dilation, dilation], pads: [pad, pad, pad, pad]).blas()
            assertClose(Tensor(shape: want.shape, floats: banded), want, "case \(index), in bands")
        }
    }

    func testPoolsAgainstReferenceOnRandomShapes() throws {
        var random = Random(state: 7)
        for index in 0..<300 {
            let (h, wd) = (random.int(1...8), random.int(1...70))
            let (kh, kw) = (random.int(1...min(4, h + 1)), random.int(1...4))
            let strides = [random.int(1...3), random.int(1...3)]
            let pads = [random.int(0...(kh - 1)), random.int(0...(kw - 1)), random.int(0...(kh - 1)), random.int(0...(kw - 1))]
            guard h + pads[0] + pads[2] >= kh, wd + pads[1] + pads[3] >= kw else { continue }
            let x = random.tensor([2, 2, h, wd])
            let oh = (h + pads[0] + pads[2] - kh) / strides[0] + 1, ow = (wd + pads[1] + pads[3] - kw) / strides[1] + 1
            var maxRef = [Float](), avgRef = [Float]()
            for plane in 0..<4 { for r in 0..<oh { for s in 0..<ow {
                var best = -Float.greatestFiniteMagnitude, sum: Float = 0, count = 0
                for u in 0..<kh { for v in 0..<kw {
                    let ih = r * strides[0] - pads[0] + u, iw = s * strides[1] - pads[1] + v
                    guard ih >= 0, ih < h, iw >= 0, iw < wd else { continue }
                    let value = x.floats[(plane * h + ih) * wd + iw]
                    best = max(best, value)
                    sum += value
                    count += 1
                }}
                maxRef.append(best)
                avgRef.append(count > 0 ? sum / Float(count) : 0)
            }}}
            let attributes: [String: AttributeValue] = ["kernel_shape": .ints([kh, kw]), "strides": .ints(strides), "pads": .ints(pads)]
            let label = "case \(index): x \(x.shape) kernel \([kh, kw]) strides \(strides) pads \(pads)"
            let maxNode = Node(name: "max\(index)", opType: "MaxPool", inputs: ["x"], outputs: ["y"], attributes: attributes)
            let avgNode = Node(name: "avg\(index)", opType: "AveragePool", inputs: ["x"], outputs: ["y"], attributes: attributes)
            assertClose(try PoolKernels.maxPool(maxNode, [x])[0], Tensor(shape: [2, 2, oh, ow], floats: maxRef), "max " + label)
            assertClose(try PoolKernels.averagePool(avgNode, [x])[0], Tensor(shape: [2, 2, oh, ow], floats: avgRef), "avg " + label)
        }
    }
}

private extension Array {
    func randomElement(using random: inout KernelReferenceTests.Random) -> Element {
        self[random.int(0...(count - 1))]
    }
}
