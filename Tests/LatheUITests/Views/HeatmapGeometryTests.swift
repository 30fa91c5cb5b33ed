import Testing
@testable import LatheUI

/// Where the heatmap's cells are, for drawing and for clicks.
@Suite struct HeatmapGeometryTests {
    typealias F = ExplorerFixture

    /// At 80×24: the body is rows 1–21, cells start below the title and headings (row 3),
    /// after a 26-column name field (the longest name, 25, plus one).
    static let geometry = HeatmapGeometry(layout: F.state().layout, state: F.state(), levels: 6)

    @Test func cellsSitAfterTheNames() {
        #expect(Self.geometry.nameWidth == 26)
        #expect(Self.geometry.cellRect(row: 0, column: 0) == Rect(x: 27, y: 3, width: 6, height: 1))
        #expect(Self.geometry.cellRect(row: 2, column: 5) == Rect(x: 57, y: 5, width: 6, height: 1))
    }

    @Test func hitTest() {
        let g = Self.geometry
        #expect(g.cell(at: Point(x: 27, y: 3)).map { [$0.row, $0.column] } == [0, 0])
        #expect(g.cell(at: Point(x: 62, y: 12)).map { [$0.row, $0.column] } == [9, 5])
        #expect(g.cell(at: Point(x: 26, y: 3)) == nil, "the name column")
        #expect(g.cell(at: Point(x: 63, y: 3)) == nil, "right of the last level")
        #expect(g.cell(at: Point(x: 27, y: 2)) == nil, "the headings")
    }

    @Test func everyVisibleCellIsHitAtItsOwnRect() {
        let g = Self.geometry
        for row in 0..<10 {
            for column in 0..<6 {
                let rect = g.cellRect(row: row, column: column)
                for x in rect.x..<rect.maxX {
                    #expect(g.cell(at: Point(x: x, y: rect.y)).map { [$0.row, $0.column] } == [row, column])
                }
            }
        }
    }

    @Test func theSelectionStaysInViewOnASmallScreen() {
        var state = F.state(width: 80, height: 16)
        Explorer.selectRow(&state, 9)
        let g = HeatmapGeometry(layout: state.layout, state: state, levels: 6)
        // 16 rows: a 13-row body, 9 rows of cells; the last layer needs the view scrolled by one.
        #expect(g.firstRow == 1)
        #expect(g.cell(at: Point(x: 27, y: g.rows.y)).map(\.row) == 1)
    }

    @Test func scrollMovesAsLittleAsItMust() {
        #expect(ExplorerLayout.scroll(0, keeping: 9, visible: 9, count: 10) == 1)
        #expect(ExplorerLayout.scroll(5, keeping: 2, visible: 9, count: 10) == 1)
        #expect(ExplorerLayout.scroll(0, keeping: 4, visible: 9, count: 10) == 0)
        #expect(ExplorerLayout.scroll(3, keeping: 0, visible: 20, count: 10) == 0)
    }
}
