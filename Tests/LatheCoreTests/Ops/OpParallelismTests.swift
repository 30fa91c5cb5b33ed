@testable import LatheCore
import Testing

/// Op-level parallelism cuts ops by their shape only and shares the parts
/// among `width` workers, so every width gives the same bits: a batch's
/// outputs do not depend on the thread count.
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
        // As every session does (OpenBLAS single-threaded from start-up, the allocator keeping freed blocks).
        try Engine.prepare()
        let kernel = try #require(OpRegistry.kernel(op))
        let node = Node(name: op, opType: op, inputs: inputs.indices.map { "i\($0)" }, outputs: ["y"],
                        attributes: attributes)
        return try OpParallelism.$width.withValue(width) { try #require(kernel(node, inputs).first) }
    }

    func maxRelativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.floats, b.floats).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
    }

    @Test func partsDependOnTheShapeOnlyAndCoverTheRangeInOrder() {
        for width in [1, 2, 3] {
            OpParallelism.$width.withValue(width) {
                #expect(OpParallelism.partCount(8, work: 1 << 30) == OpParallelism.maximumParts)
                #expect(OpParallelism.partCount(8, work: OpParallelism.minimumWork) == 1)
                #expect(OpParallelism.partCount(8, work: 3 * OpParallelism.minimumWork) == 3)
                #expect(OpParallelism.partCount(1, work: 1 << 30) == 1)
                let seen = LockedBox<[Range<Int>]>([])
                OpParallelism.forEachPart(of: 7, work: 1 << 30) { range in
                    #expect(OpParallelism.width == 1)  // a part runs on one worker
                    seen.withLock { $0.append(range) }
                }
                #expect(seen.withLock { $0.sorted { $0.lowerBound < $1.lowerBound } } == [0..<1, 1..<3, 3..<5, 5..<7])
            }
        }
    }

    /// The op at widths 1, 2 and 3: the same shape and the same bits.
    func expectSameAtEveryWidth(_ op: String, _ inputs: [Tensor], _ attributes: [String: AttributeValue] = [:])
        throws {
        let serial = try run(op, inputs, attributes, width: 1)
        for width in [2, 3] {
            let split = try run(op, inputs, attributes, width: width)
            #expect(split.shape == serial.shape && split.floats == serial.floats, "\(op) at width \(width)")
        }
    }

    @Test func convolutionSplitByImagesIsExact() throws {
        let x = Self.random([6, 8, 20, 20], seed: 1), w = Self.random([16, 8, 3, 3], seed: 2)
        let b = Self.random([16], seed: 3)
        try expectSameAtEveryWidth("Conv", [x, w, b], ["pads": .ints([1, 1, 1, 1]),
                                                       FusedActivation.activationKey: .string("Relu")])
        // Small maps fold several images into one GEMM: parts keep whole groups.
        let small = Self.random([40, 16, 6, 6], seed: 13), w3 = Self.random([32, 16, 3, 3], seed: 14)
        try expectSameAtEveryWidth("Conv", [small, w3], ["pads": .ints([1, 1, 1, 1])])
    }

    @Test func convTransposeSplitByImagesIsExact() throws {
        // Tiling 2×2 stride 2 (placed once) and overlapping 3×3 stride 2 (scatter-added), a batch of
        // images split across workers; one large image splits its GEMM instead.
        let x = Self.random([6, 16, 24, 24], seed: 15), w = Self.random([16, 8, 2, 2], seed: 16)
        let b = Self.random([8], seed: 17)
        try expectSameAtEveryWidth("ConvTranspose", [x, w, b], ["strides": .ints([2, 2]),
                                                                FusedActivation.activationKey: .string("Relu")])
        let w3 = Self.random([16, 8, 3, 3], seed: 18)
        try expectSameAtEveryWidth("ConvTranspose", [x, w3, b], ["strides": .ints([2, 2]), "pads": .ints([1, 1, 0, 0])])
        let one = Self.random([1, 16, 64, 64], seed: 19)
        try expectSameAtEveryWidth("ConvTranspose", [one, w, b], ["strides": .ints([2, 2])])
    }

    @Test func depthwiseSplitByChannelsIsExact() throws {
        // One image: the channels are split. 5×5 on narrow rows and 3×3, with a channel multiplier of 2.
        for (kernel, pads) in [(5, 2), (3, 1)] {
            let x = Self.random([1, 64, 48, 48], seed: 4), w = Self.random([128, 1, kernel, kernel], seed: 5)
            let b = Self.random([128], seed: 6)
            try expectSameAtEveryWidth("Conv", [x, w, b], [
                "group": .int(64), "pads": .ints([pads, pads, pads, pads]), "strides": .ints([2, 2]),
                FusedActivation.activationKey: .string("HardSwish"),
            ])
        }
    }

    @Test func productsSplitByRowsOrColumnsAreExact() throws {
        // One image through a pointwise conv (GEMM cut by columns), a tall Gemm (rows) and a batched MatMul.
        let x = Self.random([1, 64, 32, 32], seed: 7), w = Self.random([64, 64, 1, 1], seed: 8)
        try expectSameAtEveryWidth("Conv", [x, w])
        let a = Self.random([512, 256], seed: 9), bt = Self.random([128, 256], seed: 10)
        try expectSameAtEveryWidth("Gemm", [a, bt], ["transB": .int(1)])
        let l = Self.random([4, 128, 64], seed: 11), r = Self.random([4, 64, 96], seed: 12)
        try expectSameAtEveryWidth("MatMul", [l, r])
    }
}
