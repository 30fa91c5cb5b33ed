import Foundation
import XCTest
@testable import LatheCore

/// The streaming, chunked profile of checkpoint tensors equals the in-memory analyses
/// (WeightStats, Histogram, SensitivitySweep.sqnr through the Compressor) on the same values,
/// across chunk boundaries; and the bit allocation follows its greedy rule.
final class CheckpointScanTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Heavy-tailed, deterministic weights (a few large outliers, some exact zeros).
    static func weights(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i in
            let u = Double(rng.next() >> 11) / Double(1 << 53)
            let v = Float((u - 0.5) * 0.04 * (i % 97 == 0 ? 25 : 1))
            return i % 13 == 0 ? 0 : v
        }
    }

    func testProfilesEqualTheInMemoryAnalysesAcrossChunks() throws {
        // 1100 rows of 1024: two chunks of whole rows; an F16 tensor and a 1-D F32 tensor besides.
        let big = Self.weights(1100 * 1024, seed: 1)
        let half = HalfPrecision.rounded(Self.weights(40 * 24, seed: 2), to: .float16)
        let norm = Self.weights(24, seed: 3)
        var payload = CheckpointBytes.float32(big)
        let halfStart = payload.count
        payload += CheckpointBytes.float16(half)
        let normStart = payload.count
        payload += CheckpointBytes.float32(norm)
        let header = CheckpointBytes.header([
            ("big", "F32", [1100, 1024], 0, halfStart),
            ("half", "F16", [40, 24], halfStart, normStart),
            ("norm", "F32", [24], normStart, payload.count),
        ])
        let path = scratch.appendingPathComponent("w.safetensors").path
        try CheckpointBytes.safetensors(header: header, payload: payload).write(to: URL(fileURLWithPath: path))
        let checkpoint = try WeightCheckpoint.open(path: path)
        XCTAssertEqual(CheckpointScan.chunks(of: checkpoint.tensors[0], index: 0).count, 2)

        let bits = [1, 2, 4, 8, 32]
        let profiles = CheckpointScan.profiles(checkpoint.tensors, bins: 50, sqnrBits: bits)
        for (tensor, values) in zip(checkpoint.tensors, [big, half, norm]) {
            let profile = try XCTUnwrap(profiles[checkpoint.tensors.firstIndex { $0.name == tensor.name }!])
            let stats = WeightStats(values)
            XCTAssertEqual(profile.stats.min, stats.min, tensor.name)
            XCTAssertEqual(profile.stats.max, stats.max, tensor.name)
            XCTAssertEqual(profile.stats.mean, stats.mean, accuracy: 1e-12 * abs(stats.max), tensor.name)
            XCTAssertEqual(profile.stats.std, stats.std, accuracy: 1e-9 * stats.std, tensor.name)
            XCTAssertEqual(profile.stats.sparsity, stats.sparsity, tensor.name)
            XCTAssertEqual(profile.stats.outlierRatio, stats.outlierRatio, tensor.name)
            XCTAssertEqual(profile.histogram, Histogram(values, bins: 50), tensor.name)

            let n = Double(values.count)
            let mean = values.reduce(0.0) { $0 + Double($1) } / n
            let m2 = values.reduce(0.0) { $0 + pow(Double($1) - mean, 2) } / n
            let m4 = values.reduce(0.0) { $0 + pow(Double($1) - mean, 4) } / n
            XCTAssertEqual(profile.excessKurtosis, m4 / (m2 * m2) - 3, accuracy: 1e-6, tensor.name)
            let largest = values.map { abs(Double($0)) }.max() ?? 0
            XCTAssertEqual(profile.maxAbsOverStd, largest / m2.squareRoot(), accuracy: 1e-9, tensor.name)

            guard tensor.isLayer else {
                XCTAssertTrue(profile.sqnrDB.isEmpty, "\(tensor.name) is no layer")
                continue
            }
            let layer = WeightLayer(name: tensor.name, op: .gemm, nodeName: "", shape: tensor.shape, channelAxis: 0,
                                    reductionAxis: 1, macs: 0)
            let weight = Tensor(shape: tensor.shape, floats: values)
            for b in bits {
                let expected = try SensitivitySweep.sqnr(weight: weight, layer: layer, bits: b)
                let got = try XCTUnwrap(profile.sqnrDB[b])
                if expected.isInfinite {
                    XCTAssertEqual(got, expected, "\(tensor.name) \(b) bits")
                } else {
                    XCTAssertEqual(got, expected, accuracy: 1e-9 * abs(expected), "\(tensor.name) \(b) bits")
                }
            }
        }
    }

    func testUndecodedTensorsHaveNoProfile() throws {
        let path = scratch.appendingPathComponent("ids.safetensors").path
        try CheckpointBytes.safetensors(header: CheckpointBytes.header([("ids", "I32", [2, 2], 0, 16)]),
                                        payload: Data(count: 16)).write(to: URL(fileURLWithPath: path))
        let checkpoint = try WeightCheckpoint.open(path: path)
        XCTAssertTrue(checkpoint.layerTensors.isEmpty)
        XCTAssertEqual(CheckpointScan.profiles(checkpoint.tensors).count, 1)
        XCTAssertNil(CheckpointScan.profiles(checkpoint.tensors)[0])
    }

    func testBitAllocationRaisesTheLargestNoiseDropPerBitWithinTheBudget() throws {
        // Layer 0 gains little from more bits, layer 1 a lot: with room for one raise, layer 1 gets it.
        let sqnr: [[Int: Double]] = [[2: 10, 4: 12, 8: 14], [2: 3, 4: 20, 8: 40]]
        XCTAssertEqual(try BitAllocation.suggest(params: [100, 100], sqnrDB: sqnr, offered: [2, 4, 8], targetBits: 3), [2, 4])
        // Enough for both to reach 4 bits, not for 8 anywhere.
        XCTAssertEqual(try BitAllocation.suggest(params: [100, 100], sqnrDB: sqnr, offered: [8, 2, 4], targetBits: 4.5), [4, 4])
        // Everything at the most bits when the target allows it.
        XCTAssertEqual(try BitAllocation.suggest(params: [100, 100], sqnrDB: sqnr, offered: [2, 4, 8], targetBits: 8), [8, 8])
        // A large layer's raise costs more of the budget.
        XCTAssertEqual(try BitAllocation.suggest(params: [1000, 10], sqnrDB: [[2: 3, 4: 20], [2: 3, 4: 20]],
                                                 offered: [2, 4], targetBits: 2.1), [2, 4])
        XCTAssertThrowsError(try BitAllocation.suggest(params: [1], sqnrDB: [[4: 1]], offered: [4], targetBits: 3))
        XCTAssertEqual(BitAllocation.averageBits(params: [100, 300], bits: [2, 4]), 3.5)
        XCTAssertEqual(BitAllocation.weightedSQNR(params: [1, 1], sqnrDB: [10, .infinity]),
                       -10 * log10(0.05), accuracy: 1e-12)
        XCTAssertEqual(BitAllocation.weightedSQNR(params: [1, 1], sqnrDB: [.infinity, .infinity]), .infinity)
    }
}
