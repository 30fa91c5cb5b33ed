import Testing
@testable import LatheUI

@Suite struct BufferDiffTests {
    @Test func identicalBuffersHaveNoRuns() {
        var a = Buffer(width: 5, height: 2)
        a.write("hello", at: Point(x: 0, y: 0))
        #expect(a.diff(from: a).isEmpty)
    }

    @Test func changedCellsBecomeRunsPerRow() {
        var a = Buffer(width: 8, height: 2)
        a.write("abcdefgh", at: Point(x: 0, y: 0))
        var b = a
        b.write("XY", at: Point(x: 2, y: 0))
        b.write("Z", at: Point(x: 6, y: 0))
        b.write("q", at: Point(x: 0, y: 1), style: .bad)
        let runs = b.diff(from: a)
        #expect(runs.map { [$0.x, $0.y, $0.cells.count] } == [[2, 0, 2], [6, 0, 1], [0, 1, 1]])
        #expect(runs[0].cells.map(\.grapheme) == ["X", "Y"])
        // A style-only change is a change too.
        var c = a
        c.restyle(Rect(x: 7, y: 0, width: 1, height: 1)) { $0 = .selection }
        #expect(c.diff(from: a).map { [$0.x, $0.cells.count] } == [[7, 1]])
    }

    @Test func runsKeepWideCharactersWhole() {
        var a = Buffer(width: 6, height: 1)
        a.write("漢字ab", at: Point(x: 0, y: 0))
        var b = a
        b.write("字", at: Point(x: 2, y: 0))  // same text: no change
        #expect(b.diff(from: a).isEmpty)
        b.write("語", at: Point(x: 2, y: 0))
        let runs = b.diff(from: a)
        #expect(runs.count == 1)
        #expect(runs[0].x == 2 && runs[0].cells.count == 2 && runs[0].cells[1].isContinuation)
    }

    @Test func applyingTheDiffReproducesTheNewFrame() {
        var previous = Buffer(width: 10, height: 3)
        previous.write("漢字 abc", at: Point(x: 0, y: 0))
        previous.write("row two", at: Point(x: 1, y: 1), style: .accent)
        var next = Buffer(width: 10, height: 3)
        next.write("a漢字bc", at: Point(x: 0, y: 0))
        next.write("row 2", at: Point(x: 1, y: 1), style: .good)
        next.write("≡", at: Point(x: 9, y: 2))
        var screen = previous
        screen.apply(next.diff(from: previous))
        #expect(screen == next)
    }

    @Test func noPreviousOrNewSizeRedrawsEverything() {
        let a = Buffer(width: 4, height: 3)
        #expect(a.diff(from: nil).map(\.y) == [0, 1, 2])
        #expect(a.diff(from: Buffer(width: 5, height: 3)).allSatisfy { $0.cells.count == 4 })
    }
}
