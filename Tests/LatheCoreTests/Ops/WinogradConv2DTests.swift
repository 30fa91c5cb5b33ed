import CLatheKernels
import XCTest
@testable import LatheCore

/// 3×3 stride-1 convolutions by Winograd's F(2×2, 3×3) against the im2col + OpenBLAS path, and its
/// promise that the bits do not depend on how tile rows, images or threads are split.
final class WinogradConv2DTests: XCTestCase {
    typealias Case = PackedConv2DTests.Case

    override func setUpWithError() throws {
        try XCTSkipIf(lathe_winograd_kernels() == 0, "Winograd's kernels need AVX-512")
    }

    /// Odd and even output sizes (a last tile half outside), maps narrower than a tile row's panel and
    /// wider than several, asymmetric and zero padding, groups, bias or none, with and without an
    /// activation.
    func testWinogradAgreesWithIm2colAndOpenBLAS() throws {
        var random = KernelReferenceTests.Random(state: 11)
        var checked = 0
        while checked < 40 {
            let group = [1, 1, 1, 2][random.int(0...3)]
            let cg = random.int(16...40), mg = random.int(16...50)
            let pads = (0..<4).map { _ in random.int(0...2) }
            let h = random.int(1...30), wd = random.int(1...70)
            guard h + pads[0] + pads[2] >= 4, wd + pads[1] + pads[3] >= 4 else { continue }
            let conv = try Case(&random, n: random.int(1...2), c: group * cg, m: group * mg, group: group, h: h,
                                wd: wd, kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: pads,
                                bias: random.int(0...1) == 0)
            XCTAssertEqual(PackedWeightCache.Form(conv.problem, conv.geometry, conv.plan), .winograd)
            let activation: FusedActivation = checked % 2 == 0 ? .relu : .identity
            let got = conv.packed(activation: activation), want = conv.blas(activation: activation)
            let label = "case \(checked): x \(conv.x.shape) w \(conv.w.shape) group \(group) pads \(pads)"
            PackedConv2DTests.assertAgrees(got, want, label)
            checked += 1
        }
    }

    /// The shapes it leaves to the direct form: other kernels, strides and dilations, and too few channels.
    func testWinogradTakesOnlyWideThreeByThreeStrideOneLayers() throws {
        var random = KernelReferenceTests.Random(state: 2)
        func form(c: Int, m: Int, kernel: [Int] = [3, 3], strides: [Int] = [1, 1], dilations: [Int] = [1, 1],
                  h: Int = 12) throws -> PackedWeightCache.Form {
            let conv = try Case(&random, n: 1, c: c, m: m, group: 1, h: h, wd: 12, kernel: kernel, strides: strides,
                                dilations: dilations, pads: [1, 1, 1, 1], bias: false)
            return PackedWeightCache.Form(conv.problem, conv.geometry, conv.plan)
        }
        XCTAssertEqual(try form(c: 16, m: 16), .winograd)
        XCTAssertEqual(try form(c: 12, m: 24), .direct)
        XCTAssertEqual(try form(c: 24, m: 8), .direct)
        XCTAssertEqual(try form(c: 32, m: 32, kernel: [5, 5]), .direct)
        XCTAssertEqual(try form(c: 32, m: 32, strides: [2, 2]), .direct)
        XCTAssertEqual(try form(c: 32, m: 32, dilations: [2, 2]), .direct)
        XCTAssertEqual(try form(c: 32, m: 32, h: 1), .direct, "one output row is no whole tile")
    }

    /// Split across workers, or image by image, and in several passes a part, the values are the same bits.
    func testWinogradGivesTheSameBitsWhateverTheSplit() throws {
        var random = KernelReferenceTests.Random(state: 4)
        let conv = try Case(&random, n: 3, c: 16, m: 20, group: 1, h: 151, wd: 39, kernel: [3, 3], strides: [1, 1],
                            dilations: [1, 1], pads: [1, 1, 1, 1], bias: true)
        let tileRows = 76, tilesPerRow = 20
        let parts = OpParallelism.partCount(tileRows, work: 20 * 16 * 9 * 151 * 39)
        XCTAssertGreaterThan(parts, 1)
        XCTAssertLessThan(WinogradConv2D.tileRowsPerPass(m: 20, c: 16, tilesPerRow: tilesPerRow), tileRows / parts,
                          "a part must take several passes")
        let serial = try conv.assertSameBitsWhateverTheSplit()
        PackedConv2DTests.assertAgrees(serial, conv.blas(activation: .relu), "three images of 151x39")
    }
}
