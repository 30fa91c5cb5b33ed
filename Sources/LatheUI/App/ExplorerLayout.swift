/// Where each part of the explorer sits for a screen size. Computed by the same
/// function for drawing and for the reducer (scrolling by pages, mouse clicks),
/// so the two always agree.
public struct ExplorerLayout: Equatable, Sendable {
    /// Below this the explorer shows the "terminal too small" screen (which still takes q).
    public static let minimumSize = TerminalSize(width: 60, height: 14)
    /// From this width the table and the detail pane sit side by side.
    public static let sideBySideWidth = 120

    public var size: TerminalSize
    public var isTooSmall: Bool
    public var header: Rect
    /// The layer table: its title rule, the column headings, then `tableBody`.
    public var table: Rect
    public var tableBody: Rect
    /// The detail pane, title rule included.
    public var detail: Rect
    /// The column between table and detail when side by side.
    public var separator: Rect?
    /// Table and detail together (the heatmap covers it).
    public var body: Rect
    public var status: Rect
    public var hints: Rect

    public static func compute(size: TerminalSize, layerCount: Int) -> ExplorerLayout {
        let screen = Rect(size: size)
        let tooSmall = size.width < minimumSize.width || size.height < minimumSize.height
        let (header, rest) = screen.splitTop(1)
        let (body, footer) = rest.splitBottom(2)
        let (status, hints) = footer.splitTop(1)
        var table: Rect, detail: Rect
        var separator: Rect?
        if size.width >= sideBySideWidth {
            let columns = body.splitColumns([.percent(58), .fixed(1), .fill])
            table = columns[0]
            separator = columns[1]
            detail = columns[2]
        } else {
            let wanted = layerCount + 2
            let rows = max(4, min(wanted, body.height / 2))
            (table, detail) = body.splitTop(rows)
        }
        let tableBody = table.inset(top: 2)
        return ExplorerLayout(size: size, isTooSmall: tooSmall, header: header, table: table, tableBody: tableBody,
                              detail: detail, separator: separator, body: body, status: status, hints: hints)
    }

    /// Layer rows visible at once.
    public var visibleRows: Int { max(1, tableBody.height) }

    /// The first visible row of a list of `count` rows showing `visible` at once, moved as
    /// little as possible from `scroll` so that `row` is in view.
    public static func scroll(_ scroll: Int, keeping row: Int, visible: Int, count: Int) -> Int {
        var first = scroll
        if row < first { first = row }
        if row >= first + visible { first = row - visible + 1 }
        return min(max(0, first), max(0, count - visible))
    }
}
