import Foundation
import XCTest

/// The 512-bit convolution kernels (panels two by two, read in place even where they cross grid
/// rows) give the bits of the 256-bit ones on the samples' convolutions: stride 2, feature maps
/// narrower than two panels (12, 10 and 7 wide, 3×12 and 1×1), 1×1, 3×3 and 5×5 layers, at
/// batches 1 to 64. (Layers past 128 K weight values, which none of these has, run on OpenBLAS
/// under the 256-bit kernels, and on the 512-bit ones otherwise: those are checked against
/// onnxruntime by scripts/crosscheck_thirdparty.py.) On a CPU without AVX-512 both runs take the
/// same kernels.
final class WideKernelsTests: XCTestCase {
    func testWideAndNarrowKernelsGiveTheSameOutputs() throws {
        let scratch = try ScratchDirectory()
        for (sample, batch) in [("fpn_detector", "1"), ("detector_b1", "1"), ("mobilenetv3", "64"), ("heatmap", "64"),
                                ("segmenter", "8"), ("crnn", "64"), ("lenet5", "64")] {
            let model = Samples.path(sample, "model.onnx"), data = Samples.path(sample, "data.npz")
            var outputs: [Data] = []
            for narrow in ["", "1"] {
                let out = scratch.path("\(sample)\(narrow).npy")
                let run = try LatheBinary.run(["eval", model, "--data", data, "--batch", batch, "--json",
                                               "--save-outputs", out], environment: ["LATHE_NO_AVX512": narrow])
                XCTAssertEqual(run.status, 0, "\(sample): \(run.stderr)")
                outputs.append(try Data(contentsOf: URL(fileURLWithPath: out)))
            }
            XCTAssertGreaterThan(outputs[0].count, 128, sample)
            XCTAssertEqual(outputs[0], outputs[1], "\(sample): the 512-bit kernels changed the outputs")
        }
    }
}
