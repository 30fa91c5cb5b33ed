@testable import LatheCore
import Testing

/// Histogram marks come from LatheCore's compression of the weights; checked against
/// hand-computed values.
@Suite struct LayerAnalyzerTests {
    let layer = WeightLayer(name: "fc.weight", op: .gemm, nodeName: "", shape: [2, 3], channelAxis: 0,
                            reductionAxis: 1, macs: 6)

    func analyze(_ values: [Float], _ settings: LayerSettings) throws -> LayerAnalysis {
        try LayerAnalyzer.analyze(weight: Tensor(shape: [2, 3], floats: values), layer: layer, settings: settings)
    }

    @Test func perTensorGridIsTheSymmetricLevels() throws {
        // 2 bits symmetric: qmax 1, s = max|w| / 1 = 1 → levels -1, 0, 1.
        let a = try analyze([-1, -0.5, 0, 0.25, 0.5, 1], LayerSettings(bits: .integer(2), granularity: .perTensor))
        #expect(a.grid == [-1, 0, 1])
        #expect(a.gridLevels == 3 && a.gridStep == 1)
        // round(-0.5) = -0 and round(0.5) = 0 (half to even), round(0.25) = 0, and 0: four zeros.
        #expect(a.compressedSparsity == 4.0 / 6.0)
        #expect(a.distinctValues == 3)  // -1, 0 (and -0, equal), 1
        #expect(a.pruneThreshold == nil && a.centroids.isEmpty)
    }

    @Test func perChannelGridIsTheWidestChannels() throws {
        // Channel 0 spans ±0.3, channel 1 ±2: 3 bits (qmax 3) on channel 1 → step 2/3.
        let a = try analyze([0.3, -0.1, 0.2, 2, -1, 0.5], LayerSettings(bits: .integer(3)))
        #expect(a.gridLevels == 7)
        #expect(abs((a.gridStep ?? 0) - 2.0 / 3.0) < 1e-6)
        #expect(abs((a.grid.last ?? 0) - 2) < 1e-6 && abs((a.grid.first ?? 0) + 2) < 1e-6)
        // Asymmetric 2 bits on channel 1: lo -1, hi 2, s = 1, zp = 1 → levels -1, 0, 1, 2.
        let b = try analyze([0.3, -0.1, 0.2, 2, -1, 0.5], LayerSettings(bits: .integer(2), scheme: .asymmetric))
        #expect(b.grid == [-1, 0, 1, 2])
    }

    @Test func pruningThresholdIsTheLargestMagnitudeRemoved() throws {
        // floor(0.5·6) = 3 smallest |w|: 0, 0.25 and -0.5 (ties go in index order).
        let a = try analyze([-1, -0.5, 0, 0.25, 0.5, 1], LayerSettings(prune: 0.5))
        #expect(a.pruneThreshold == 0.5)
        #expect(a.compressedSparsity == 0.5)
        #expect(a.grid.isEmpty)
        // Channel pruning has no magnitude threshold.
        #expect(try analyze([-1, -0.5, 0, 0.25, 0.5, 1], LayerSettings(prune: 0.5, structure: .channel))
            .pruneThreshold == nil)
    }

    @Test func centroidsAreTheSharedValues() throws {
        let a = try analyze([1, 2, 3, 10, 11, 12], LayerSettings(clusters: 2))
        #expect(a.centroids == [2, 11])
        #expect(a.grid.isEmpty)
        #expect(a.distinctValues == 2)
        // Each weight moved to its cluster's mean: squared errors 1, 0, 1, 1, 0, 1 over 6.
        #expect(abs(a.meanSquaredError - 4.0 / 6.0) < 1e-9)
    }

    @Test func oneBitIsSignTimesMeanMagnitude() throws {
        let a = try analyze([-1, -3, 2, 2, 1, -1], LayerSettings(bits: .integer(1), granularity: .perTensor))
        // mean|w| = 10/6, accumulated in float64 as the quantizer does.
        #expect(a.grid == [-10.0 / 6.0, 10.0 / 6.0])
        #expect(a.gridLevels == 2)
    }
}
