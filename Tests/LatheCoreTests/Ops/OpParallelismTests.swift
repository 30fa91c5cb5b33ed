@testable import LatheCore
import Testing

/// Op-level parallelism splits only independent outputs: depthwise channels
/// reproduce the serial values exactly; a GEMM split by rows or columns, or
/// images whose GEMMs are grouped differently, may round differently
/// (OpenBLAS blocks a smaller product its own way; 5e-6 relative at k = 256
/// here), never by more than rounding.
@Suite struct OpParallelismTests {
    /// Deterministic values in [-1, 1).
    static func random(_ shape: [Int], seed: UInt32) -> Tensor {
        var state = seed
        return Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24) * 2 - 1
        })
    }

    func run(_ op: String, _ inputs: [Tensor], _ attributes: [String: AttributeValue] = [:], width: Int) throws
        -> Tensor {
        let kernel = try #require(OpRegistry.kernel(op))
        let node = Node(name: op, opType: op, inputs: inputs.indices.map { "i\($0)" }, outputs: ["y"],
                        attributes: attributes)
        return try OpParallelism.$width.withValue(width) { try #require(kernel(node, inputs).first) }
    }

    func maxRelativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.floats, b.floats).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
    }

    @Test func partsCoverTheRangeInOrderOnlyWhenWorthIt() {
        #expect(OpParallelism.partCount(8, work: 1 << 30) == 1)  // width 1 outside an evaluator
        OpParallelism.$width.withValue(2) {
            #expect(OpParallelism.partCount(8, work: 1 << 30) == 2)
            #expect(OpParallelism.partCount(8, work: OpParallelism.minimumWork) == 1)
            #expect(OpParallelism.partCount(1, work: 1 << 30) == 1)
            let seen = LockedBox<[Range<Int>]>([])
            OpParallelism.forEachPart(of: 7, work: 1 << 30) { range in
                #expect(OpParallelism.width == 1)  // parts do not split again
                seen.withLock { $0.append(range) }
            }
            #expect(seen.withLock { $0.sorted { $0.lowerBound < $1.lowerBound } } == [0..<3, 3..<7])
        }
    }

    @Test func convolutionSplitByImagesAgreesToRounding() throws {
        let x = Self.random([6, 8, 20, 20], seed: 1), w = Self.random([16, 8, 3, 3], seed: 2)
        let b = Self.random([16], seed: 3)
        let attributes: [String: AttributeValue] = ["pads": .ints([1, 1, 1, 1]), FusedActivation.activationKey: .string("Relu")]
        let serial = try run("Conv", [x, w, b], attributes, width: 1)
        let split = try run("Conv", [x, w, b], attributes, width: 2)
        #expect(split.shape == serial.shape)
        #expect(maxRelativeDifference(split, serial) < 2e-5)
    }

    @Test func depthwiseSplitByChannelsIsExact() throws {
        // One image: the channels are split. 5×5 on narrow rows and 3×3, with a channel multiplier of 2.
        for (kernel, pads) in [(5, 2), (3, 1)] {
            let x = Self.random([1, 64, 48, 48], seed: 4), w = Self.random([128, 1, kernel, kernel], seed: 5)
            let b = Self.random([128], seed: 6)
            let attributes: [String: AttributeValue] = [
                "group": .int(64), "pads": .ints([pads, pads, pads, pads]), "strides": .ints([2, 2]),
                FusedActivation.activationKey: .string("HardSwish"),
            ]
            let serial = try run("Conv", [x, w, b], attributes, width: 1)
            let split = try run("Conv", [x, w, b], attributes, width: 2)
            #expect(split.shape == serial.shape && split.floats == serial.floats)
        }
    }

    @Test func productsSplitByRowsOrColumnsAgreeToRounding() throws {
        // One image through a pointwise conv (GEMM split by columns), a tall Gemm (rows) and a batched MatMul.
        let x = Self.random([1, 64, 32, 32], seed: 7), w = Self.random([64, 64, 1, 1], seed: 8)
        let conv = (try run("Conv", [x, w], width: 1), try run("Conv", [x, w], width: 2))
        #expect(maxRelativeDifference(conv.1, conv.0) < 2e-5)
        let a = Self.random([512, 256], seed: 9), bt = Self.random([128, 256], seed: 10)
        let gemm = (try run("Gemm", [a, bt], ["transB": .int(1)], width: 1),
                    try run("Gemm", [a, bt], ["transB": .int(1)], width: 2))
        #expect(maxRelativeDifference(gemm.1, gemm.0) < 2e-5)
        let l = Self.random([4, 128, 64], seed: 11), r = Self.random([4, 64, 96], seed: 12)
        let matmul = (try run("MatMul", [l, r], width: 1), try run("MatMul", [l, r], width: 2))
        #expect(matmul.1.shape == [4, 128, 96])
        #expect(maxRelativeDifference(matmul.1, matmul.0) < 2e-5)
    }
}
