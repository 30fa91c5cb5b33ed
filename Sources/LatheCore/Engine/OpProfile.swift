import Foundation

/// Time spent in each kind of op, summed over every run while it is recording
/// (`lathe eval --profile`). Off by default: a run then pays one flag read per
/// step. Times are summed over threads, so with batches or ops running on
/// several cores they add up to more than the wall time; the shares between
/// op kinds are what tells where a model's time goes.
public final class OpProfile: @unchecked Sendable {
    /// One op kind's totals.
    public struct Entry: Sendable, Equatable {
        public var opType: String
        public var calls: Int
        public var seconds: Double
    }

    /// The process's profile: kernels run on worker threads the caller does not see.
    public static let shared = OpProfile()

    private let lock = NSLock()
    private var totals: [String: (calls: Int, seconds: Double)] = [:]
    private var recording = false

    /// Whether kernels are timed; read without the lock on every step, so a
    /// change takes effect at the next step of each thread.
    public var isRecording: Bool {
        get { lock.withLock { recording } }
        set { lock.withLock { recording = newValue } }
    }

    func add(_ opType: String, seconds: Double) {
        lock.withLock {
            let old = totals[opType] ?? (0, 0)
            totals[opType] = (old.calls + 1, old.seconds + seconds)
        }
    }

    /// Every op kind timed so far, the most time first.
    public var entries: [Entry] {
        lock.withLock {
            totals.map { Entry(opType: $0.key, calls: $0.value.calls, seconds: $0.value.seconds) }
                .sorted { $0.seconds != $1.seconds ? $0.seconds > $1.seconds : $0.opType < $1.opType }
        }
    }

    public func reset() { lock.withLock { totals = [:] } }
}
