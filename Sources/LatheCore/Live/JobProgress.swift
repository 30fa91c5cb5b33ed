/// Progress of a background job (sensitivity sweep or search) of a live session.
public struct JobProgress: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case sweep, search
    }

    public enum State: Sendable, Equatable {
        case running
        case finished
        case cancelled
        case failed(String)
    }

    /// The number `startSweep`/`startSearch` returned.
    public var id: Int
    public var kind: Kind
    /// What the job is doing, e.g. "baseline", "conv1.weight bits 4", "verifying".
    public var phase: String
    /// Units done and in all (sweep entries, search evaluations).
    public var done: Int
    public var total: Int
    public var state: State

    public init(id: Int, kind: Kind, phase: String, done: Int, total: Int, state: State = .running) {
        self.id = id
        self.kind = kind
        self.phase = phase
        self.done = done
        self.total = total
        self.state = state
    }

    public var fraction: Double { total > 0 ? min(1, Double(done) / Double(total)) : 0 }

    public var isRunning: Bool { state == .running }
}
