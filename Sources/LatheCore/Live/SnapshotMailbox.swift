/// The newest snapshot of a live session, behind a lock, handed to a listener
/// after every change.
///
/// Engine threads write; `onUpdate` receives the snapshot (typically to post
/// it to the UI's mailbox). Only the newest state is kept: a slow listener
/// may skip intermediate snapshots, never hears an older generation after a
/// newer one.
final class SnapshotMailbox: Sendable {
    private let current: LockedBox<LiveSnapshot>
    private let onUpdate: @Sendable (LiveSnapshot) -> Void
    /// Announcements take turns and each reads the snapshot current at its turn: two
    /// writers can finish their edits in one order and reach `announce` in the other,
    /// and handing over each writer's own copy would then deliver the older one last.
    private let announcing = LockedBox(())

    init(initial: LiveSnapshot, onUpdate: @escaping @Sendable (LiveSnapshot) -> Void) {
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
        if changed { announce() }
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
        if changed { announce() }
    }

    private func announce() {
        announcing.withLock { _ in onUpdate(latest()) }
    }
}
