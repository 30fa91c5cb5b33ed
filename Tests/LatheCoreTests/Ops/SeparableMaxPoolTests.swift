import XCTest
@testable import LatheCore

/// The separable MaxPool (rows, then columns) against the one-pass window loop it replaces for
/// 2-D windows of 3x3 taps and more: the same bits, zero signs and ignored NaN included.
final class SeparableMaxPoolTests: XCTestCase {
    func testSameBitsAsTheOnePassLoopOnRandomWindows() throws {
        var random = KernelReferenceTests.Random(state: 11)
        var separable = 0
        for index in 0..<400 {
            let (h, wd) = (random.int(1...12), random.int(1...70))
            let (kh, kw) = (random.int(1...5), random.int(1...5))
            let strides = [random.int(1...3), random.int(1...3)]
            let dilations = index % 4 == 0 ? [random.int(1...2), random.int(1...2)] : [1, 1]
            let pads = [random.int(0...(kh - 1)), random.int(0...(kw - 1)), random.int(0...(kh - 1)), random.int(0...(kw - 1))]
            guard h + pads[0] + pads[2] >= (kh - 1) * dilations[0] + 1,
                  wd + pads[1] + pads[3] >= (kw - 1) * dilations[1] + 1 else { continue }
            // Few distinct values, so windows tie often; zeros of both signs, NaN and -inf among them.
            let palette: [Float] = [0, -0.0, 1, -1, 0.5, .nan, -.infinity, 2]
            let x = Tensor(shape: [2, 3, h, wd], floats: (0..<(6 * h * wd)).map { _ in palette[random.int(0...7)] })
            let node = Node(name: "max\(index)", opType: "MaxPool", inputs: ["x"], outputs: ["y"], attributes: [
                "kernel_shape": .ints([kh, kw]), "strides": .ints(strides), "pads": .ints(pads),
                "dilations": .ints(dilations),
            ])
            let loop = try PoolLoop(node: node, x: x)
            guard loop.isSeparableMax else { continue }
            separable += 1
            var onePass = [Float](repeating: 0, count: loop.outputCount)
            var twoPass = [Float](repeating: 1, count: loop.outputCount)
            x.floats.withUnsafeBufferPointer { source in
                onePass.withUnsafeMutableBufferPointer { loop.reduce(MaxReduction.self, x: source.baseAddress!, y: $0.baseAddress!) }
                twoPass.withUnsafeMutableBufferPointer { loop.reduceMaxSeparably(x: source.baseAddress!, y: $0.baseAddress!) }
            }
            XCTAssertEqual(onePass.map(\.bitPattern), twoPass.map(\.bitPattern),
                           "case \(index): x \(x.shape) kernel \([kh, kw]) strides \(strides) dilations \(dilations) pads \(pads)")
            // The kernel takes the separable path for these windows.
            XCTAssertEqual(try PoolKernels.maxPool(node, [x])[0].floats.map(\.bitPattern), onePass.map(\.bitPattern))
        }
        XCTAssertGreaterThan(separable, 100)
    }

    func testSPPFWindowOnALargeMap() throws {
        var random = KernelReferenceTests.Random(state: 5)
        let x = random.tensor([1, 4, 20, 20])
        let node = Node(name: "sppf", opType: "MaxPool", inputs: ["x"], outputs: ["y"], attributes: [
            "kernel_shape": .ints([5, 5]), "strides": .ints([1, 1]), "pads": .ints([2, 2, 2, 2]),
        ])
        let loop = try PoolLoop(node: node, x: x)
        XCTAssertTrue(loop.isSeparableMax)
        let y = try PoolKernels.maxPool(node, [x])[0]
        XCTAssertEqual(y.shape, [1, 4, 20, 20])
        for plane in 0..<4 { for r in 0..<20 { for s in 0..<20 {
            var best = -Float.greatestFiniteMagnitude
            for u in max(0, r - 2)...min(19, r + 2) { for v in max(0, s - 2)...min(19, s + 2) {
                best = max(best, x.floats[(plane * 20 + u) * 20 + v])
            }}
            XCTAssertEqual(y.floats[(plane * 20 + r) * 20 + s], best, "plane \(plane) (\(r), \(s))")
        }}}
    }
}
