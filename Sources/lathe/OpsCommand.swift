import ArgumentParser
import LatheCore

/// `lathe ops`: the op table and opset range, the source of README's
/// "Supported ops" paragraph.
struct OpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "List the ONNX ops and opsets Lathe runs (default domain)."
    )

    func run() {
        print(OpRegistry.supportedOpsParagraph())
    }
}
