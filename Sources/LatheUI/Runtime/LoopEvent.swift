/// What the app's reducer receives from the run loop.
public enum LoopEvent<Message: Sendable> {
    case key(KeyPress)
    case mouse(MouseEvent)
    /// The screen size: sent once before the first frame and after every resize.
    case resize(TerminalSize)
    /// A spinner tick, about 10 per second, only while the app says it is busy.
    case tick
    /// A value another thread posted to the loop's mailbox (engine snapshots, job results).
    case message(Message)
}

extension LoopEvent: Sendable {}

/// Frame and tick pacing.
public struct LoopTiming: Sendable {
    /// Minimum time between two presented frames (redraws coalesce in between).
    public var frameInterval: Duration
    /// Time between ticks while busy.
    public var tickInterval: Duration
    public init(frameInterval: Duration = .milliseconds(33), tickInterval: Duration = .milliseconds(100)) {
        self.frameInterval = frameInterval
        self.tickInterval = tickInterval
    }
}
