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

    func testEvictsLeastRecentlyUsedBeyondCapacity() {
        let entry = ActivationCache.bytes(of: tensor(100, 0), key: key(0))
        let cache = ActivationCache(capacityBytes: 3 * entry)
        for value in 0..<3 { cache.store(tensor(100, Float(value)), for: key(value)) }
        XCTAssertEqual(cache.bytes, 3 * entry)
        _ = cache.value(for: key(0))  // 1 is now the least recently used
        cache.store(tensor(100, 3), for: key(3))
        XCTAssertNil(cache.value(for: key(1)))
        XCTAssertNotNil(cache.value(for: key(0)))
        XCTAssertNotNil(cache.value(for: key(2)))
        XCTAssertNotNil(cache.value(for: key(3)))
        XCTAssertEqual(cache.bytes, 3 * entry)
        // A bigger entry pushes out as many as needed, oldest first (0 was used before 2 and 3).
        cache.store(tensor(250, 4), for: key(4))
        XCTAssertNil(cache.value(for: key(0)))
        XCTAssertNil(cache.value(for: key(2)))
        XCTAssertNotNil(cache.value(for: key(4)))
        XCTAssertLessThanOrEqual(cache.bytes, cache.capacityBytes)
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
