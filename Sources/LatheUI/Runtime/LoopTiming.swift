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
