import CLatheKernels
import XCTest
@testable import LatheCore

/// Weights are packed once per array and never served for another array's values.
final class PackedWeightCacheTests: XCTestCase {
    private func weights(_ count: Int, seed: Float) -> [Float] { (0..<count).map { Float($0 % 97) * 0.01 + seed } }

    private func fresh(_ weights: [Float], rows: Int, reduction: Int, groups: Int) -> [Float] {
        weights.withUnsafeBufferPointer { PackedWeightCache.pack($0.baseAddress!, rows: rows, reduction: reduction, groups: groups) }
    }

    func testAnArrayIsPackedOnceAndAsPackingItAgainGives() {
        let cache = PackedWeightCache(capacityBytes: 1 << 20)
        let w = weights(2 * 10 * 27, seed: 0)
        let first = cache.packed(w, rows: 10, reduction: 27, groups: 2)
        XCTAssertEqual(first, fresh(w, rows: 10, reduction: 27, groups: 2))
        XCTAssertEqual(first.count, 2 * lathe_packed_weights_count(10, 27))
        let again = cache.packed(w, rows: 10, reduction: 27, groups: 2)
        XCTAssertEqual(again, first)
        XCTAssertEqual(first.withUnsafeBufferPointer { $0.baseAddress }, again.withUnsafeBufferPointer { $0.baseAddress },
                       "the second call returns the stored packing")
        XCTAssertEqual(cache.count, 1)
        // Another shape of the same array is another packing.
        XCTAssertEqual(cache.packed(w, rows: 20, reduction: 27, groups: 1), fresh(w, rows: 20, reduction: 27, groups: 1))
        XCTAssertEqual(cache.count, 2)
    }

    func testAWrittenCopyIsPackedFromItsOwnValues() {
        let cache = PackedWeightCache(capacityBytes: 1 << 20)
        let w = weights(6 * 9, seed: 1)
        let original = cache.packed(w, rows: 6, reduction: 9, groups: 1)
        var edited = w
        edited[0] = 42  // copies the storage the cache holds
        let packedEdit = cache.packed(edited, rows: 6, reduction: 9, groups: 1)
        XCTAssertEqual(packedEdit, fresh(edited, rows: 6, reduction: 9, groups: 1))
        XCTAssertNotEqual(packedEdit, original)
        XCTAssertEqual(cache.packed(w, rows: 6, reduction: 9, groups: 1), original)
    }

    func testLeastRecentlyUsedGoPastTheCapacity() {
        let w = (0..<5).map { weights(8 * 100, seed: Float($0)) }
        let entryBytes = (w[0].count + lathe_packed_weights_count(8, 100)) * 4
        let cache = PackedWeightCache(capacityBytes: 3 * entryBytes)
        for array in w.prefix(3) { _ = cache.packed(array, rows: 8, reduction: 100, groups: 1) }
        _ = cache.packed(w[0], rows: 8, reduction: 100, groups: 1)  // w[1] is now the oldest
        _ = cache.packed(w[3], rows: 8, reduction: 100, groups: 1)
        XCTAssertEqual(cache.count, 3)
        // Packings stay right whether they were kept or not.
        for array in w { XCTAssertEqual(cache.packed(array, rows: 8, reduction: 100, groups: 1),
                                        fresh(array, rows: 8, reduction: 100, groups: 1)) }
        XCTAssertLessThanOrEqual(cache.count, 3)
        // Larger than the whole capacity: packed, not kept.
        let tiny = PackedWeightCache(capacityBytes: 16)
        XCTAssertEqual(tiny.packed(w[4], rows: 8, reduction: 100, groups: 1), fresh(w[4], rows: 8, reduction: 100, groups: 1))
        XCTAssertEqual(tiny.count, 0)
    }
}
