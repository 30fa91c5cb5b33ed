import Foundation
import XCTest

/// The 512-bit convolution kernels (panels two by two, read in place even where they cross grid
/// rows) give the bits of the 256-bit ones on the samples' convolutions: stride 2, feature maps
/// narrower than two panels (12, 10 and 7 wide, 1×1), 1×1 and 3×3 layers, at batches 1 to 64.
/// (Layers past 128 K weight values, which none of these has, run on OpenBLAS under the 256-bit
/// kernels, and on the 512-bit ones otherwise: those are checked against onnxruntime by
/// scripts/crosscheck_thirdparty.py.) On a CPU without AVX-512 both runs take the same kernels.
/// Winograd's 3×3 layers (512-bit only) are compared with the direct form they replace: to rounding.
final class WideKernelsTests: XCTestCase {
    private static let convolutionSamples = [("fpn_detector", "1"), ("detector_b1", "1"), ("heatmap", "64"),
                                             ("segmenter", "8"), ("crnn", "64")]

    /// The sample's outputs with each environment in turn.
    private func outputs(_ sample: String, batch: String, scratch: ScratchDirectory,
                         environments: [[String: String]] = [["LATHE_NO_AVX512": ""], ["LATHE_NO_AVX512": "1"]])
        throws -> [Data] {
        let model = Samples.path(sample, "model.onnx"), data = Samples.path(sample, "data.npz")
        return try environments.enumerated().map { index, environment in
            let out = scratch.path("\(sample)\(index).npy")
            let run = try LatheBinary.run(["eval", model, "--data", data, "--batch", batch, "--json",
                                           "--save-outputs", out], environment: environment)
            XCTAssertEqual(run.status, 0, "\(sample): \(run.stderr)")
            return try Data(contentsOf: URL(fileURLWithPath: out))
        }
    }

    func testWideAndNarrowKernelsGiveTheSameOutputs() throws {
        let scratch = try ScratchDirectory()
        for (sample, batch) in Self.convolutionSamples {
            let outputs = try outputs(sample, batch: batch, scratch: scratch, environments: [
                ["LATHE_NO_AVX512": "", "LATHE_NO_WINOGRAD": "1"], ["LATHE_NO_AVX512": "1", "LATHE_NO_WINOGRAD": "1"],
            ])
            XCTAssertGreaterThan(outputs[0].count, 128, sample)
            XCTAssertEqual(outputs[0], outputs[1], "\(sample): the 512-bit kernels changed the outputs")
        }
    }

    /// Winograd's F(2×2, 3×3) against the direct form on the samples' 3×3 layers: to rounding.
    func testWinogradAgreesWithTheDirectFormToRounding() throws {
        let scratch = try ScratchDirectory()
        for (sample, batch) in Self.convolutionSamples {
            let outputs = try outputs(sample, batch: batch, scratch: scratch,
                                      environments: [["LATHE_NO_WINOGRAD": ""], ["LATHE_NO_WINOGRAD": "1"]])
            let winograd = try floats(outputs[0]), direct = try floats(outputs[1])
            XCTAssertEqual(winograd.count, direct.count, sample)
            let scale = direct.map(abs).max() ?? 1
            let worst = zip(winograd, direct).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst / scale, 1e-5, sample)
        }
    }

    /// A fully connected layer wider than its batch (`GemmKernel.productPacked`) runs on the 512-bit
    /// kernels too, and on OpenBLAS under the 256-bit ones, which sums in another order: LeNet-5
    /// (5×5 convolutions, 400→120→84→10) and MobileNetV3 (stride 2, 3×12 maps, a 1000-wide head)
    /// agree to float rounding, not to the bit.
    func testFullyConnectedLayersAgreeToRounding() throws {
        let scratch = try ScratchDirectory()
        for sample in ["lenet5", "mobilenetv3"] {
            let outputs = try outputs(sample, batch: "64", scratch: scratch)
            let wide = try floats(outputs[0]), narrow = try floats(outputs[1])
            XCTAssertEqual(wide.count, narrow.count, sample)
            let scale = narrow.map(abs).max() ?? 1
            let worst = zip(wide, narrow).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst / scale, 1e-5, sample)
        }
    }

    /// The float32 values of an `.npy` file as `--save-outputs` writes it (version 1, little-endian).
    private func floats(_ npy: Data) throws -> [Float] {
        let bytes = [UInt8](npy)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let payload = bytes[(10 + headerLength)...]
        XCTAssertEqual(payload.count % 4, 0)
        return stride(from: payload.startIndex, to: payload.endIndex, by: 4).map { i in
            Float(bitPattern: UInt32(payload[i]) | UInt32(payload[i + 1]) << 8 | UInt32(payload[i + 2]) << 16
                  | UInt32(payload[i + 3]) << 24)
        }
    }
}
