import Foundation

/// Activations at weight layers' inputs, per batch, keyed by the states of the
/// layers upstream of the value (see `LayerAncestry`): an entry is reused by
/// any plan that agrees on those layers, whatever it does downstream.
///
/// One entry per value and batch: the latest plan's. Keeping older plans'
/// entries beside it (an instant undo) made every change of an early layer
/// allocate a fresh plan's worth of activations, and fresh pages cost more
/// than the pass itself (zeroed by the kernel on first touch: on a virtual
/// machine, the bundled MobileNet's first-layer re-evaluation took 2.7× a
/// plain pass). Replacing in place hands the superseded entry's memory to the
/// run that computes its successor (`discard` before the run), so a cached
/// re-evaluation costs about what a plain pass does; an undo re-evaluates from
/// the deepest entry still valid.
/// Memory-capped, evicting what no run of the current pass has stored or read, least recently used first;
/// a value stored when only that is left is not kept. A pass (`beginPass`) visits every batch once, so
/// plain least-recently-used eviction, on a set whose values outgrow the cap, evicts each batch's values
/// just before the next pass asks for them: nothing ever hits, and every pass pays for storing. Kept
/// this way, the batches that fit stay cached from pass to pass (20,000 images of the bundled MobileNet
/// under a 200 MB cap, 72% of their checkpoints: a change of the last layer took 26% of a plain pass, was
/// 116%; a sweep of the 2,000 images under a 50 MB cap took 1.07 s, was 2.02 s, and 1.27 s with no cache).
/// Thread-safe.
final class ActivationCache: @unchecked Sendable {
    struct Key: Hashable, Sendable {
        /// Index into `LayerAncestry.cached`.
        var value: Int
        var batch: Int
        /// State ids (`LayerStateTable`) of the upstream layers, in layer order.
        var signature: [Int32]

        var position: Position { Position(value: value, batch: batch) }
    }

    /// Where an entry lives: one per cached value and batch.
    struct Position: Hashable, Sendable {
        var value: Int
        var batch: Int
    }

    let capacityBytes: Int
    private let lock = NSLock()
    private var slots: [Slot] = []
    private var slotOfPosition: [Position: Int] = [:]
    private var freeSlots: [Int] = []
    /// Most and least recently used slots (-1 when empty).
    private var head = -1
    private var tail = -1
    private var totalBytes = 0
    private var hitCount = 0
    private var missCount = 0
    /// The current pass (`beginPass`); entries record the last pass that stored or read them.
    private var pass = 0

    private struct Slot {
        var key: Key
        var tensor: Tensor?
        var bytes: Int
        var pass: Int
        var previous: Int
        var next: Int
    }

    init(capacityBytes: Int) { self.capacityBytes = max(0, capacityBytes) }

    /// Default capacity: a quarter of physical memory, at most 2 GiB.
    static var defaultCapacity: Int { EvaluatorOptions.defaultCacheCapacityBytes }

    func value(for key: Key) -> Tensor? {
        lock.lock()
        defer { lock.unlock() }
        guard let slot = slotOfPosition[key.position], slots[slot].key.signature == key.signature else {
            missCount += 1
            return nil
        }
        hitCount += 1
        slots[slot].pass = pass
        moveToFront(slot)
        return slots[slot].tensor
    }

    /// Starts a pass over the batches: what earlier passes stored or read may make way for its values, its
    /// own may not (see the type's comment).
    func beginPass() {
        lock.withLock { pass += 1 }
    }

    func store(_ tensor: Tensor, for key: Key) {
        let bytes = Self.bytes(of: tensor, key: key)
        guard bytes <= capacityBytes else { return }
        lock.lock()
        defer { lock.unlock() }
        // A superseded entry at this position goes first, whichever pass it is from.
        if let existing = slotOfPosition[key.position] { evict(existing) }
        // Room from entries earlier passes used, oldest first; none is evicted unless that makes enough.
        var room = capacityBytes - totalBytes
        var candidate = tail
        while room < bytes, candidate >= 0, slots[candidate].pass < pass {
            room += slots[candidate].bytes
            candidate = slots[candidate].previous
        }
        guard room >= bytes else { return }
        while totalBytes + bytes > capacityBytes, tail >= 0 { evict(tail) }
        let fresh = Slot(key: key, tensor: tensor, bytes: bytes, pass: pass, previous: -1, next: -1)
        let slot: Int
        if let reused = freeSlots.popLast() {
            slot = reused
            slots[slot] = fresh
        } else {
            slot = slots.count
            slots.append(fresh)
        }
        slotOfPosition[key.position] = slot
        linkAtFront(slot)
        totalBytes += bytes
    }

    /// Drops the entry at `position` whatever its signature, so the run about to compute its
    /// successor can reuse its memory (see the type's comment).
    func discard(_ position: Position) {
        lock.withLock {
            if let slot = slotOfPosition[position] { evict(slot) }
        }
    }

    var bytes: Int { lock.withLock { totalBytes } }
    var count: Int { lock.withLock { slotOfPosition.count } }
    var statistics: (hits: Int, misses: Int) { lock.withLock { (hitCount, missCount) } }

    func removeAll() {
        lock.withLock {
            slots = []
            slotOfPosition = [:]
            freeSlots = []
            head = -1
            tail = -1
            totalBytes = 0
        }
    }

    /// Element storage plus the key's signature and bookkeeping.
    static func bytes(of tensor: Tensor, key: Key) -> Int {
        tensor.floats.count * MemoryLayout<Float>.size + tensor.ints.count * MemoryLayout<Int64>.size
            + key.signature.count * MemoryLayout<Int32>.size + 96
    }

    // MARK: recency list (under the lock)

    private func evict(_ slot: Int) {
        unlink(slot)
        slotOfPosition[slots[slot].key.position] = nil
        totalBytes -= slots[slot].bytes
        slots[slot].tensor = nil
        slots[slot].key.signature = []
        freeSlots.append(slot)
    }

    private func moveToFront(_ slot: Int) {
        guard head != slot else { return }
        unlink(slot)
        linkAtFront(slot)
    }

    private func linkAtFront(_ slot: Int) {
        slots[slot].previous = -1
        slots[slot].next = head
        if head >= 0 { slots[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }

    private func unlink(_ slot: Int) {
        let previous = slots[slot].previous, next = slots[slot].next
        if previous >= 0 { slots[previous].next = next } else { head = next }
        if next >= 0 { slots[next].previous = previous } else { tail = previous }
        slots[slot].previous = -1
        slots[slot].next = -1
    }
}
