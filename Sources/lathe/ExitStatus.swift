import ArgumentParser
import Foundation
import LatheCore

/// How `lathe` ends: 0 success, 2 bad input or usage, 1 internal failure.
/// Every failure prints one message on stderr starting with `error:`.
enum ExitStatus {
    static let success: Int32 = 0
    static let internalFailure: Int32 = 1
    static let badInput: Int32 = 2

    /// Parses the command line and runs the chosen command, never returning.
    static func run(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        var command: ParsableCommand
        do {
            command = try LatheCommand.parseAsRoot(arguments)
        } catch {
            // --help and --version are "errors" that exit cleanly through the parser;
            // every other parse failure is a usage error (ArgumentParser alone would exit 64).
            if LatheCommand.exitCode(for: error) == .success { LatheCommand.exit(withError: error) }
            report(usageMessage(for: error))
            terminate(badInput)
        }
        do {
            try command.run()
        } catch {
            finish(with: error)
        }
        flushStandardOutput()
        terminate(success)
    }

    static func finish(with error: Error) -> Never {
        flushStandardOutput()
        switch error {
        case let lathe as LatheError where lathe.kind == .badInput:
            report("error: \(lathe.message)")
            terminate(badInput)
        case let lathe as LatheError:
            report("error: internal: \(lathe.message)")
            terminate(internalFailure)
        default:
            // Help requests and usage errors can also surface from run() (HelpCommand,
            // ValidationError); ArgumentParser knows which is which by its exit code.
            switch LatheCommand.exitCode(for: error) {
            case .success:
                LatheCommand.exit(withError: error)
            case .validationFailure:
                report(usageMessage(for: error))
                terminate(badInput)
            default:
                report("error: internal: \(error)")
                terminate(internalFailure)
            }
        }
    }

    /// ArgumentParser's message with usage, its leading "Error:" lower-cased so
    /// every failure of `lathe` reads the same.
    static func usageMessage(for error: Error) -> String {
        var text = LatheCommand.fullMessage(for: error)
        if text.hasPrefix("Error: ") { text = "error: " + text.dropFirst("Error: ".count) }
        if !text.hasPrefix("error:") { text = "error: " + text }
        return text
    }

    static func report(_ message: String) {
        let line = message.hasSuffix("\n") ? message : message + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Ends the process with `code` once stdio is flushed, without exit(3)'s atexit handlers and
    /// static destructors: engine threads may still be running (the explorer quits in the middle of a
    /// sweep), and those handlers tear down OpenBLAS under them — quitting mid-sweep crashed in
    /// libopenblas (SEGV, 139) instead of exiting 0. Nothing Lathe writes depends on them: output
    /// files are complete (atomic renames) before their command returns.
    static func terminate(_ code: Int32) -> Never {
        flushStandardOutput()
        _exit(code)
    }

    private static func flushStandardOutput() {
        fflush(nil)  // every C stream: print() buffers in stdout
    }
}
