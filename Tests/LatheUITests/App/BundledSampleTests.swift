import Foundation
import Testing

/// Bare `lathe` opens the copy of the MobileNet sample bundled with the binary; it must
/// be the very files samples/ ships (retraining the samples must refresh the copy).
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
        #expect(a == b, "Sources/lathe/Resources/sample/\(file) differs from samples/mobilenet/\(file): copy it again")
    }
}
