import XCTest
@testable import LatheCore

/// Hand-computed sizes of DESIGN.md "Size model".
final class SizeModelTests: XCTestCase {
    /// Conv [4, 2, 3, 3]: 72 weights, 4 channels.
    let conv = TestLayers.conv("c.weight", [4, 2, 3, 3], macs: 1000)

    private func size(_ layer: WeightLayer, _ settings: LayerSettings, dtype: DType = .float32) -> TensorSize {
        SizeModel.tensorSize(layer: layer, dtype: dtype, settings: settings).size
    }

    func testUnchangedTensorsKeepTheirStoredDtype() {
        XCTAssertEqual(size(conv, .identity).total, 288)
        XCTAssertEqual(size(conv, .identity, dtype: .float16).total, 144)
        var abitsOnly = LayerSettings()
        abitsOnly.activationBits = 8
        XCTAssertEqual(size(conv, abitsOnly).total, 288)
    }

    func testUniformQuantization() {
        XCTAssertEqual(size(conv, .int(8)), TensorSize(payload: 72, scales: 16))
        XCTAssertEqual(size(conv, .int(8, .asymmetric)), TensorSize(payload: 72, scales: 16, zeroPoints: 4))
        XCTAssertEqual(size(conv, .int(8, .symmetric, .perTensor)), TensorSize(payload: 72, scales: 4))
        XCTAssertEqual(size(conv, .int(4, .asymmetric, .perTensor)), TensorSize(payload: 36, scales: 4, zeroPoints: 1))
        XCTAssertEqual(size(conv, .int(3)).payload, 27)  // 216 bits
        XCTAssertEqual(size(conv, .int(1)), TensorSize(payload: 9, scales: 16))
        // 5 weights at 3 bits = 15 bits → 2 bytes (rounded up per tensor).
        XCTAssertEqual(size(TestLayers.gemmT([1, 5]), .int(3)).payload, 2)
        XCTAssertEqual(size(conv, LayerSettings(bits: .fp16)), TensorSize(payload: 144))
        XCTAssertEqual(size(conv, LayerSettings(bits: .bf16)), TensorSize(payload: 144))
    }

    func testUnstructuredSparsityStoresTheCheaperIndex() {
        var settings = LayerSettings.int(8)
        settings.prune = 0.5
        // 36 survivors: mask 72 bits = 9 B beats 36·32 bits.
        XCTAssertEqual(size(conv, settings), TensorSize(payload: 36, scales: 16, index: 9))
        settings.prune = 0.99
        // floor(71.28) = 71 removed → 1 survivor: 32-bit index (4 B) beats the 72-bit mask.
        XCTAssertEqual(size(conv, settings), TensorSize(payload: 1, scales: 16, index: 4))
        // Pruning alone keeps float32 payload.
        var floatPruned = LayerSettings()
        floatPruned.prune = 0.5
        XCTAssertEqual(size(conv, floatPruned), TensorSize(payload: 144, index: 9))
    }

    func testChannelPruningStoresNothingForPrunedChannels() {
        var settings = LayerSettings.int(8, .asymmetric)
        settings.prune = 0.5
        settings.structure = .channel
        // 2 of 4 channels kept: 36 weights, 2 scales, 2 zero-points, no index.
        XCTAssertEqual(size(conv, settings), TensorSize(payload: 36, scales: 8, zeroPoints: 2))
    }

    func testTwoFour() {
        var settings = LayerSettings.int(8)
        settings.structure = .twoFour
        let pointwise = TestLayers.conv([4, 8, 1, 1])  // 32 weights, reduction length 8 → 16 kept
        XCTAssertEqual(size(pointwise, settings), TensorSize(payload: 16, scales: 16, index: 4))
        // Reduction length 5: 2 + 1 kept per line; 3 lines → 9 weights, 18 index bits → 3 bytes.
        XCTAssertEqual(size(TestLayers.gemmT([3, 5]), settings), TensorSize(payload: 9, scales: 12, index: 3))
    }

    func testSharingAndSharedCodebooks() {
        var settings = LayerSettings()
        settings.clusters = 16
        XCTAssertEqual(size(conv, settings), TensorSize(payload: 36, codebook: 64))
        settings.clusters = 5  // ceil(log2 5) = 3 bits
        XCTAssertEqual(size(conv, settings), TensorSize(payload: 27, codebook: 20))
        XCTAssertEqual(SizeModel.indexBits(clusters: 2), 1)
        XCTAssertEqual(SizeModel.indexBits(clusters: 256), 8)
        XCTAssertEqual(SizeModel.indexBits(clusters: 257), 9)

        // A share group counts its codebook once, on its first layer.
        settings.shareGroup = "g"
        let other = TestLayers.gemmT("f.weight", [3, 8], macs: 24)
        let plan = CompressionPlan(layers: [conv, other], defaults: settings)
        let report = SizeModel.report(tensors: [:], layers: [conv, other], plan: plan)
        XCTAssertEqual(report.layers.map(\.size.codebook), [20, 0])
        XCTAssertEqual(report.layers[1].size.payload, 9)  // 24 weights · 3 bits
    }

    func testLowRankStoresTwoFactors() {
        let fc = TestLayers.gemmT([8, 6])
        var settings = LayerSettings()
        settings.rank = 0.5  // k = 3: 3·(8+6) = 42 weights
        XCTAssertEqual(size(fc, settings), TensorSize(payload: 168))
        settings.bits = .integer(8)  // per-channel scales for 8 rows of A and 3 rows of B
        XCTAssertEqual(size(fc, settings), TensorSize(payload: 42, scales: 44))
        settings.rank = 1  // full rank: the dense layer
        XCTAssertEqual(size(fc, settings), TensorSize(payload: 48, scales: 32))
    }

    func testReportTotalsRatioAndBOPs() {
        let fc = TestLayers.gemmT("f.weight", [3, 8], macs: 24)
        let tensors = ["c.weight": Tensor.zeros([4, 2, 3, 3]), "f.weight": Tensor.zeros([3, 8]),
                       "f.bias": Tensor.zeros([3])]
        var defaults = LayerSettings.int(8)
        defaults.activationBits = 8
        let plan = CompressionPlan(layers: [conv, fc], defaults: defaults, settings: ["f.weight": .identity])
        let report = SizeModel.report(tensors: tensors, layers: [conv, fc], plan: plan)
        XCTAssertEqual(report.baselineBytes, 288 + 96 + 12)
        XCTAssertEqual(report.otherBytes, 12)
        XCTAssertEqual(report.layer(named: "c.weight")?.size.total, 88)
        XCTAssertEqual(report.totalBytes, 88 + 96 + 12)
        XCTAssertEqual(report.compressionRatio, Double(396) / Double(196))
        XCTAssertEqual(report.layer(named: "c.weight")?.bops, 1000 * 8 * 8)
        XCTAssertEqual(report.layer(named: "f.weight")?.bops, 24 * 32 * 32)
        XCTAssertEqual(report.totalMACs, 1024)
        XCTAssertEqual(SizeModel.baselineBytes(of: tensors), report.baselineBytes)
        // The identity plan has ratio 1.
        let identity = SizeModel.report(tensors: tensors, layers: [conv, fc], plan: .identity(layers: [conv, fc]))
        XCTAssertEqual(identity.compressionRatio, 1)
    }
}
