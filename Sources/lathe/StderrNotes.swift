import Foundation

/// The lines the loaders print on stderr (`warning: …`, `note: …`, `metric: …`), also kept
/// while a collector is installed: the explorer takes the terminal over right after loading,
/// which hides them, so its launcher hands them to the explorer to show (message line, help).
final class StderrNotes: @unchecked Sendable {
    /// The collector of the loading under way, if one is being kept (a task-local, so the
    /// commands that print and exit need not know about it).
    @TaskLocal static var current: StderrNotes?

    private let lock = NSLock()
    private var kept: [String] = []

    /// The lines kept so far, in order.
    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return kept
    }

    /// Prints `line` on stderr and keeps it when a collector is installed.
    static func print(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
        current?.keep(line)
    }

    private func keep(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        kept.append(line)
    }
}
