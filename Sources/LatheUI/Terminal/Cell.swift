/// One terminal cell: a grapheme cluster, the columns it covers and its style.
/// A double-width grapheme sits in its first cell (`width == 2`); the cell to its
/// right is a continuation (`width == 0`, empty `grapheme`) that backends skip.
public struct Cell: Hashable, Sendable {
    public var grapheme: String
    public var width: Int
    public var style: Style

    public init(_ grapheme: String, width: Int = 1, style: Style = .fg) {
        self.grapheme = grapheme
        self.width = width
        self.style = style
    }

    public static let blank = Cell(" ")
    public static func blank(_ style: Style) -> Cell { Cell(" ", style: style) }
    static func continuation(_ style: Style) -> Cell { Cell("", width: 0, style: style) }

    public var isContinuation: Bool { width == 0 }
}
