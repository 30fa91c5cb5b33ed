import Testing
@testable import LatheUI

@Suite struct RectTests {
    @Test func splitRowsGivesFixedThenPercentThenFillTheRest() {
        let r = Rect(x: 0, y: 0, width: 80, height: 24)
        let parts = r.splitRows([.fixed(1), .percent(50), .fill, .fixed(2)])
        // 24 rows: header 1, half of 24 = 12, status 2, the fill takes 24-1-12-2 = 9.
        #expect(parts.map(\.height) == [1, 12, 9, 2])
        #expect(parts.map(\.y) == [0, 1, 13, 22])
        #expect(parts.allSatisfy { $0.width == 80 && $0.x == 0 })
    }

    @Test func fillWeightsShareTheRemainderWithoutLosingCells() {
        let parts = Rect(x: 3, y: 0, width: 10, height: 1).splitColumns([.fill(1), .fill(2)], spacing: 1)
        // 10 - 1 spacing = 9 cells: weights 1:2 -> 3 and 6.
        #expect(parts.map(\.width) == [3, 6])
        #expect(parts.map(\.x) == [3, 7])
        let thirds = Rect(x: 0, y: 0, width: 10, height: 1).splitColumns([.fill, .fill, .fill])
        #expect(thirds.map(\.width) == [3, 3, 4])
        #expect(thirds.map(\.x) == [0, 3, 6])
    }

    @Test func tinyAreasProduceEmptyNotNegativeParts() {
        let parts = Rect(x: 0, y: 0, width: 30, height: 3).splitRows([.fixed(2), .fixed(5), .fill])
        #expect(parts.map(\.height) == [2, 1, 0])
        #expect(parts[2].isEmpty)
        #expect(Rect(x: 0, y: 0, width: 1, height: 1).inset(by: 1).isEmpty)
    }

    @Test func insetIntersectionAndCentering() {
        let r = Rect(x: 2, y: 3, width: 10, height: 6)
        #expect(r.inset(by: 1) == Rect(x: 3, y: 4, width: 8, height: 4))
        #expect(r.inset(top: 2, left: 1) == Rect(x: 3, y: 5, width: 9, height: 4))
        #expect(r.intersection(Rect(x: 0, y: 0, width: 5, height: 5)) == Rect(x: 2, y: 3, width: 3, height: 2))
        #expect(r.intersection(Rect(x: 50, y: 50, width: 5, height: 5)).isEmpty)
        #expect(r.centered(width: 4, height: 2) == Rect(x: 5, y: 5, width: 4, height: 2))
        #expect(r.splitTop(2).rest == Rect(x: 2, y: 5, width: 10, height: 4))
        #expect(r.splitRight(3).right == Rect(x: 9, y: 3, width: 3, height: 6))
        #expect(r.contains(Point(x: 11, y: 8)) && !r.contains(Point(x: 12, y: 8)))
    }
}
