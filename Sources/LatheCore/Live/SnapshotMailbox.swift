/// The newest snapshot of a live session, behind a lock, plus a wake-up.
///
/// Engine threads write; the UI thread reads `latest()` whenever `onUpdate`
/// has woken it (the callback typically writes a byte to a pipe the UI's run
/// loop polls with stdin). Only the newest state is kept: a slow reader skips
/// intermediate snapshots, never sees an older generation after a newer one.
final class SnapshotMailbox: Sendable {
    private let current: LockedBox<LiveSnapshot>
    private let onUpdate: @Sendable () -> Void

    init(initial: LiveSnapshot, onUpdate: @escaping @Sendable () -> Void) {
        current = LockedBox(initial)
        self.onUpdate = onUpdate
    }

    func latest() -> LiveSnapshot { current.withLock { $0 } }

    /// Replaces the snapshot with one of a newer (or the same) generation.
    func replace(with snapshot: LiveSnapshot) {
        let changed = current.withLock { value -> Bool in
            guard snapshot.generation >= value.generation, snapshot != value else { return false }
            var next = snapshot
            if next.job == nil { next.job = value.job }
            value = next
            return true
        }
        if changed { onUpdate() }
    }

    /// Edits the snapshot if it still describes `generation` (work of an older
    /// generation can finish a batch after a newer plan was applied; its
    /// numbers must not land on the newer plan).
    func update(generation: Int, _ body: (inout LiveSnapshot) -> Void) {
        modify { value in
            guard value.generation == generation else { return }
            body(&value)
        }
    }

    /// Edits whatever the current snapshot is (job progress, baseline value).
    func modify(_ body: (inout LiveSnapshot) -> Void) {
        let changed = current.withLock { value -> Bool in
            let before = value
            body(&value)
            return value != before
        }
        if changed { onUpdate() }
    }
}
