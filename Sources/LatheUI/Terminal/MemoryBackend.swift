/// A terminal in memory for tests: scripted input, captured frames. `screen` is what a
/// real terminal would show after applying every presented diff.
public final class MemoryBackend: TerminalBackend {
    /// A scripted input step.
    public enum Step: Sendable {
        case event(TerminalEvent)
        /// No input for this long (wake-ups still arrive): lets ticks and mailboxes run.
        case idle(Duration)
    }

    public struct ScriptEnded: Error, CustomStringConvertible {
        public var description: String { "MemoryBackend: no scripted input left and nothing woke the loop" }
    }

    public private(set) var size: TerminalSize
    public let wakeSignal = WakeSignal()
    /// Every buffer presented, in order.
    public private(set) var frames: [Buffer] = []
    /// The runs each `present` wrote (its diff against the previous frame).
    public private(set) var writtenRuns: [[Run]] = []
    /// The screen as diffs left it.
    public private(set) var screen: Buffer
    public private(set) var themes: [Theme] = []
    public private(set) var began = false
    public private(set) var ended = false
    /// How long to wait for a wake-up once the script is exhausted before `ScriptEnded`.
    public var idleLimit: Duration

    private var script: [Step]
    private var previous: Buffer?
    private var idleUntil: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    public init(width: Int, height: Int, script: [Step] = [], idleLimit: Duration = .seconds(5)) {
        size = TerminalSize(width: width, height: height)
        screen = Buffer(width: width, height: height)
        self.script = script
        self.idleLimit = idleLimit
    }

    /// Adds events to the end of the script.
    public func enqueue(_ events: TerminalEvent...) { script += events.map { .event($0) } }
    public func enqueue(_ steps: [Step]) { script += steps }

    /// Convenience: each character of `text` as a key press.
    public func type(_ text: String) { script += text.map { .event(.key(.char($0))) } }

    public var lastFrame: Buffer? { frames.last }

    public func begin() throws { began = true }
    public func end() { ended = true }
    public func setTheme(_ theme: Theme) {
        themes.append(theme)
        previous = nil
    }

    public func present(_ buffer: Buffer) {
        let runs = buffer.diff(from: previous)
        if screen.width != buffer.width || screen.height != buffer.height { screen = Buffer(size: buffer.size) }
        screen.apply(runs)
        screen.cursor = buffer.cursor
        writtenRuns.append(runs)
        frames.append(buffer)
        previous = buffer
    }

    public func nextEvent(timeout: Duration?) throws -> TerminalEvent? {
        if wakeSignal.drain() { return .wake }
        if let until = idleUntil {
            let remaining = until - clock.now
            if remaining > .zero {
                let wait = timeout.map { min($0, remaining) } ?? remaining
                if wakeSignal.wait(timeout: wait) { wakeSignal.drain(); return .wake }
                return nil
            }
            idleUntil = nil
        }
        if !script.isEmpty {
            switch script.removeFirst() {
            case .event(let event):
                if case .resize(let newSize) = event {
                    size = newSize
                    previous = nil
                }
                return event
            case .idle(let duration):
                idleUntil = clock.now + duration
                return try nextEvent(timeout: timeout)
            }
        }
        let wait = timeout.map { min($0, idleLimit) } ?? idleLimit
        if wakeSignal.wait(timeout: wait) { wakeSignal.drain(); return .wake }
        if let timeout, timeout <= idleLimit { return nil }
        throw ScriptEnded()
    }
}
