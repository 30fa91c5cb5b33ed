import Foundation

/// A one-line progress bar on stderr, drawn only when stderr is a terminal and
/// redrawn at most ten times a second whatever the number of updates (the
/// evaluator reports from several threads at once).
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled: Bool
    private let width = 30
    private var lastDraw: UInt64 = 0
    private var drewSomething = false
    private static let interval: UInt64 = 100_000_000  // ns

    init(enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.enabled = enabled
    }

    func update(_ phase: String, done: Int, total: Int) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = DispatchTime.now().uptimeNanoseconds
        guard done >= total || now - lastDraw >= ProgressBar.interval else { return }
        lastDraw = now
        let fraction = total > 0 ? min(1, max(0, Double(done) / Double(total))) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let percent = Int((fraction * 100).rounded(.down))
        write("\r\u{1B}[K\(phase) [\(bar)] \(done)/\(total) (\(percent)%)")
        drewSomething = true
    }

    /// Erases the bar so the results start on a clean line.
    func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if drewSomething { write("\r\u{1B}[K") }
        drewSomething = false
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
