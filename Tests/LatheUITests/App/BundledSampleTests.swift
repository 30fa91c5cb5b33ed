import Foundation
import Testing

/// Bare `lathe` opens the MobileNet sample bundled with the binary. Its model and data live
/// once, as the `lathe` target's resource; samples/mobilenet links to them, so retraining
/// the samples (which writes through the links) refreshes what the binary bundles.
@Suite struct BundledSampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test(arguments: ["model.onnx", "data.npz"])
    func bundledCopyEqualsTheSample(_ file: String) throws {
        let bundled = Self.root.appendingPathComponent("Sources/lathe/Resources/sample/\(file)")
        let sample = Self.root.appendingPathComponent("samples/mobilenet/\(file)")
        let a = try Data(contentsOf: bundled)
        let b = try Data(contentsOf: sample)
        #expect(!a.isEmpty)
        #expect(a == b, "Sources/lathe/Resources/sample/\(file) differs from samples/mobilenet/\(file)")
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: sample.path)
        #expect(link == "../../Sources/lathe/Resources/sample/\(file)",
                "samples/mobilenet/\(file) must stay a link to the bundled copy, not a second copy")
    }
}
