import Foundation

/// Where other threads leave values (the app's actions) for the UI thread. Values posted under a `slot`
/// replace any still-undelivered value of that slot (newest metrics win); values posted
/// without a slot are all delivered in order. Every post wakes the UI thread.
public final class UIMailbox<Value: Sendable>: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `lock`.
    private let lock = NSLock()
    private var pending: [(slot: String?, value: Value)] = []
    private let signal: WakeSignal

    public init(wakeSignal: WakeSignal) { signal = wakeSignal }

    /// Leaves `value` for the UI thread; with a `slot`, it supersedes the undelivered value
    /// of that slot and moves to the end of the queue.
    public func post(_ value: Value, slot: String? = nil) {
        lock.lock()
        if let slot { pending.removeAll { $0.slot == slot } }
        pending.append((slot, value))
        lock.unlock()
        signal.wake()
    }

    /// Takes everything posted since the last call, oldest first.
    public func drain() -> [Value] {
        lock.lock()
        defer { lock.unlock() }
        let values = pending.map(\.value)
        pending.removeAll(keepingCapacity: true)
        return values
    }

    /// Number of undelivered values.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return pending.count
    }
}
