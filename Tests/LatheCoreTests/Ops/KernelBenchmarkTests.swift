import Foundation
import XCTest
@testable import LatheCore

/// Throughput of the hot convolution paths on MobileNet-like layers at batch
/// 32, single-threaded as the executor runs them. Skipped unless
/// LATHE_KERNEL_BENCH=1; meaningful only in a release build:
///   LATHE_KERNEL_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter KernelBenchmarkTests
final class KernelBenchmarkTests: XCTestCase {
    struct Layer {
        let name: String
        let input: [Int]       // N, C, H, W
        let weights: [Int]     // M, C/group, kH, kW
        let attributes: [String: AttributeValue]
        /// Multiply-adds of one call.
        let macs: Int
    }

    static func layers(batch n: Int) -> [Layer] {
        [
            Layer(name: "depthwise 3x3 s1 128ch 56x56", input: [n, 128, 56, 56], weights: [128, 1, 3, 3],
                  attributes: ["group": .int(128), "pads": .ints([1, 1, 1, 1])], macs: n * 128 * 56 * 56 * 9),
            Layer(name: "depthwise 3x3 s2 256ch 28x28", input: [n, 256, 28, 28], weights: [256, 1, 3, 3],
                  attributes: ["group": .int(256), "pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])],
                  macs: n * 256 * 14 * 14 * 9),
            Layer(name: "pointwise 1x1 128->128 56x56", input: [n, 128, 56, 56], weights: [128, 128, 1, 1],
                  attributes: [:], macs: n * 56 * 56 * 128 * 128),
            Layer(name: "pointwise 1x1 512->512 14x14", input: [n, 512, 14, 14], weights: [512, 512, 1, 1],
                  attributes: [:], macs: n * 14 * 14 * 512 * 512),
            Layer(name: "pointwise 1x1 1024->1024 7x7", input: [n, 1024, 7, 7], weights: [1024, 1024, 1, 1],
                  attributes: [:], macs: n * 7 * 7 * 1024 * 1024),
            Layer(name: "conv 3x3 s1 64->64 28x28 (im2col)", input: [n, 64, 28, 28], weights: [64, 64, 3, 3],
                  attributes: ["pads": .ints([1, 1, 1, 1])], macs: n * 28 * 28 * 64 * 64 * 9),
        ]
    }

    /// Other kernels of a ResNet/MobileNet forward pass, timed the same way.
    func testOtherKernelTimes() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["LATHE_KERNEL_BENCH"] == "1",
                          "set LATHE_KERNEL_BENCH=1 to run the kernel benchmark")
        try Engine.prepare()
        var state: UInt32 = 777
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Float(state >> 8) / Float(1 << 24) * 2 - 1
            })
        }
        let cases: [(String, String, [Tensor?], [String: AttributeValue])] = [
            ("maxpool 3x3 s2 64ch 112x112", "MaxPool", [random([32, 64, 112, 112])],
             ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
            ("global average pool 1024ch 7x7", "GlobalAveragePool", [random([32, 1024, 7, 7])], [:]),
            ("gemm 1024->1000", "Gemm", [random([32, 1024]), random([1000, 1024]), random([1000])], ["transB": .int(1)]),
            ("batchnorm 64ch 112x112", "BatchNormalization",
             [random([32, 64, 112, 112]), random([64]), random([64]), random([64]), random([64]).absoluteValues], [:]),
        ]
        for (name, op, inputs, attributes) in cases {
            let kernel = try XCTUnwrap(OpRegistry.kernel(op))
            let node = Node(name: name, opType: op, inputs: inputs.map { _ in "t" }, outputs: ["y"], attributes: attributes)
            _ = try kernel(node, inputs)
            var best = Double.infinity
            for _ in 0..<10 {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try kernel(node, inputs)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            print(String(format: "BENCH %-36@ %8.2f ms", name, best * 1e3))
        }
    }

    func testConvThroughput() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["LATHE_KERNEL_BENCH"] == "1",
                          "set LATHE_KERNEL_BENCH=1 to run the kernel benchmark")
        try Engine.prepare()
        XCTAssertTrue(KernelMemory.keepFreedBlocks())
        // A cheap deterministic generator: the data only has to be non-trivial.
        var state: UInt32 = 12345
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Float(state >> 8) / Float(1 << 24) * 2 - 1
            })
        }
        let kernel = try XCTUnwrap(OpRegistry.kernel("Conv"))
        for layer in Self.layers(batch: 32) {
            let x = random(layer.input), w = random(layer.weights), b = random([layer.weights[0]])
            var attributes = layer.attributes
            attributes["lathe.activation"] = .string("Relu")
            let node = Node(name: layer.name, opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"], attributes: attributes)
            _ = try kernel(node, [x, w, b])
            var best = Double.infinity
            for _ in 0..<10 {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try kernel(node, [x, w, b])
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let gflops = 2 * Double(layer.macs) / best / 1e9
            print(String(format: "BENCH %-36@ %8.2f ms  %7.2f GFLOP/s", layer.name, best * 1e3, gflops))
        }
    }
}

private extension Tensor {
    var absoluteValues: Tensor { Tensor(shape: shape, floats: floats.map { abs($0) + 0.1 }) }
}
