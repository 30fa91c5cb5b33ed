import XCTest
@testable import LatheCore

final class ActivationCacheTests: XCTestCase {
    private func key(_ value: Int, batch: Int = 0, signature: [Int32] = [0]) -> ActivationCache.Key {
        Self.key(value, batch: batch, signature: signature)
    }

    private func tensor(_ count: Int, _ fill: Float) -> Tensor { Self.tensor(count, fill) }

    private static func key(_ value: Int, batch: Int = 0, signature: [Int32] = [0]) -> ActivationCache.Key {
        ActivationCache.Key(value: value, batch: batch, signature: signature)
    }

    private static func tensor(_ count: Int, _ fill: Float) -> Tensor {
        Tensor(shape: [count], floats: [Float](repeating: fill, count: count))
    }

    func testKeysDistinguishValueBatchAndSignature() {
        let cache = ActivationCache(capacityBytes: 1 << 20)
        cache.store(tensor(4, 1), for: key(0))
        cache.store(tensor(4, 2), for: key(0, batch: 1))
        cache.store(tensor(4, 5), for: key(1))
        XCTAssertEqual(cache.value(for: key(0))?.floats.first, 1)
        XCTAssertEqual(cache.value(for: key(0, batch: 1))?.floats.first, 2)
        XCTAssertEqual(cache.value(for: key(1))?.floats.first, 5)
        XCTAssertNil(cache.value(for: key(2)))
        // Another plan's upstream settings never read this plan's activations.
        XCTAssertNil(cache.value(for: key(0, signature: [1])))
        XCTAssertNil(cache.value(for: key(0, signature: [0, 0])))
        XCTAssertEqual(cache.count, 3)
    }

    /// One entry per value and batch: a later plan's replaces the earlier one's, and
    /// `discard` frees it before the run that computes the successor.
    func testALaterPlanReplacesTheEntryOfItsValueAndBatch() {
        let cache = ActivationCache(capacityBytes: 1 << 20)
        cache.store(tensor(4, 1), for: key(0))
        cache.store(tensor(8, 3), for: key(0, signature: [1]))
        XCTAssertEqual(cache.count, 1)
        XCTAssertNil(cache.value(for: key(0)))
        XCTAssertEqual(cache.value(for: key(0, signature: [1]))?.floats.first, 3)
        XCTAssertEqual(cache.bytes, ActivationCache.bytes(of: tensor(8, 3), key: key(0, signature: [1])))
        cache.store(tensor(4, 2), for: key(0, batch: 1))
        cache.discard(ActivationCache.Position(value: 0, batch: 0))
        XCTAssertNil(cache.value(for: key(0, signature: [1])))
        XCTAssertEqual(cache.value(for: key(0, batch: 1))?.floats.first, 2)
        XCTAssertEqual(cache.count, 1)
        XCTAssertEqual(cache.bytes, ActivationCache.bytes(of: tensor(4, 2), key: key(0, batch: 1)))
    }

    func testEvictsWhatThisPassHasNotUsedLeastRecentlyUsedFirst() {
        let entry = ActivationCache.bytes(of: tensor(100, 0), key: key(0))
        let cache = ActivationCache(capacityBytes: 3 * entry)
        for value in 0..<3 { cache.store(tensor(100, Float(value)), for: key(value)) }
        XCTAssertEqual(cache.bytes, 3 * entry)
        // The same pass keeps what it stored: a fourth entry is not kept.
        cache.store(tensor(100, 3), for: key(3))
        XCTAssertNil(cache.value(for: key(3)))
        XCTAssertEqual(cache.count, 3)

        cache.beginPass()
        _ = cache.value(for: key(0))  // read by this pass; 1 is the least recently used of the others
        cache.store(tensor(100, 3), for: key(3))
        XCTAssertNil(cache.value(for: key(1)))
        XCTAssertEqual(cache.value(for: key(0))?.floats.first, 0)
        XCTAssertEqual(cache.value(for: key(2))?.floats.first, 2)  // read now: this pass's too
        XCTAssertEqual(cache.value(for: key(3))?.floats.first, 3)
        XCTAssertEqual(cache.bytes, 3 * entry)
        // Every entry is this pass's: a bigger one finds no room and evicts nothing.
        cache.store(tensor(150, 4), for: key(4))
        XCTAssertNil(cache.value(for: key(4)))
        XCTAssertEqual(cache.count, 3)

        // In the next pass it pushes out as many as it needs, least recently used first (0, then 2).
        cache.beginPass()
        cache.store(tensor(150, 4), for: key(4))
        XCTAssertEqual(cache.value(for: key(4))?.floats.first, 4)
        XCTAssertNil(cache.value(for: key(0)))
        XCTAssertNil(cache.value(for: key(2)))
        XCTAssertEqual(cache.value(for: key(3))?.floats.first, 3)
        XCTAssertLessThanOrEqual(cache.bytes, cache.capacityBytes)
    }

    /// Passes over six batches with room for three: each pass finds the first three batches the pass before
    /// kept, where least-recently-used eviction would have evicted each batch just before it was asked for.
    /// A plan with other upstream settings then takes their places in its own pass.
    func testPassesLongerThanTheCacheKeepHittingTheBatchesThatFit() {
        let entry = ActivationCache.bytes(of: tensor(100, 0), key: key(0))
        let cache = ActivationCache(capacityBytes: 3 * entry)
        func pass(_ signature: [Int32]) -> [Int] {
            cache.beginPass()
            var hits: [Int] = []
            for batch in 0..<6 {
                if cache.value(for: key(0, batch: batch, signature: signature)) != nil {
                    hits.append(batch)
                } else {
                    cache.store(tensor(100, Float(batch)), for: key(0, batch: batch, signature: signature))
                }
            }
            return hits
        }
        XCTAssertEqual(pass([0]), [])
        XCTAssertEqual(pass([0]), [0, 1, 2])
        XCTAssertEqual(pass([0]), [0, 1, 2])
        XCTAssertEqual(pass([1]), [])
        XCTAssertEqual(pass([1]), [0, 1, 2])
        XCTAssertEqual(cache.count, 3)
        XCTAssertEqual(cache.bytes, 3 * entry)
    }

    func testEntryLargerThanTheCapacityIsNotKept() {
        let cache = ActivationCache(capacityBytes: 100)
        cache.store(tensor(1000, 1), for: key(0))
        XCTAssertEqual(cache.count, 0)
        XCTAssertEqual(cache.bytes, 0)
    }

    func testReplacingAnEntryKeepsTheAccountRight() {
        let cache = ActivationCache(capacityBytes: 1 << 20)
        cache.store(tensor(10, 1), for: key(0))
        cache.store(tensor(20, 2), for: key(0))
        XCTAssertEqual(cache.count, 1)
        XCTAssertEqual(cache.bytes, ActivationCache.bytes(of: tensor(20, 2), key: key(0)))
        cache.removeAll()
        XCTAssertEqual(cache.bytes, 0)
        XCTAssertNil(cache.value(for: key(0)))
    }

    func testConcurrentUseStaysConsistent() {
        let entry = ActivationCache.bytes(of: tensor(16, 0), key: key(0))
        let cache = ActivationCache(capacityBytes: 50 * entry)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<500 {
                let k = Self.key((i * 7 + worker) % 120)
                if cache.value(for: k) == nil { cache.store(Self.tensor(16, Float(k.value)), for: k) }
            }
        }
        XCTAssertLessThanOrEqual(cache.bytes, 50 * entry)
        XCTAssertEqual(cache.bytes, cache.count * entry)
        for value in 0..<120 {
            if let hit = cache.value(for: key(value)) { XCTAssertEqual(hit.floats.first, Float(value)) }
        }
    }
}
