import LatheCore

/// Keys and clicks while the sensitivity heatmap is open: ↑/↓ pick the layer (the
/// table selection), ←/→ the level, Enter applies that level to the layer.
enum Heatmap {
    /// Handles the heatmap's own commands; nil for commands that act as usual.
    static func handle(_ state: inout AppState, _ command: Command?, column: Int) -> [Effect]? {
        guard let data = state.sensitivity, !data.levels.isEmpty else {
            state.overlay = nil
            return nil
        }
        let last = data.levels.count - 1
        switch command {
        case .fewerBits: state.overlay = .heatmap(column: max(0, column - 1))
        case .moreBits: state.overlay = .heatmap(column: min(last, column + 1))
        case .first, .last, .moveUp, .moveDown, .pageUp, .pageDown:
            return nil
        case .focusDetail:
            return applyCell(&state, level: data.levels[min(max(0, column), last)])
        case .cancel, .heatmap, .help:
            state.overlay = command == .help ? .help(scroll: 0) : nil
        case .nextPane, .previousPane, nil:
            break
        default:
            return nil
        }
        return []
    }

    /// The heatmap's view: worst over the sets → the first set → … → the last → worst again.
    static func cycleSet(_ state: inout AppState) {
        guard let data = state.sensitivity, !data.setNames.isEmpty else {
            state.message = .init(state.sensitivity == nil ? "no sensitivity yet: press s to sweep"
                                                           : "one evaluation set: nothing to switch", .warning)
            return
        }
        let next = (state.heatmapSet ?? -1) + 1
        state.heatmapSet = next < data.setNames.count ? next : nil
        state.message = .init("heatmap: " + data.viewName(set: state.heatmapSet))
    }

    /// The level's settings for the selected layer (a sweep level is a whole config entry).
    static func applyCell(_ state: inout AppState, level: SensitivityLevel) -> [Effect] {
        guard let layer = state.selectedLayer else { return [] }
        let settings = level.settings
        guard state.plan.settings(for: layer.name) != settings else {
            state.message = .init("\(layer.name) already has \(level.label)")
            return []
        }
        var plan = state.plan
        plan.set(settings, for: layer.name)
        let effects = Explorer.change(&state, to: plan)
        state.message = .init("\(layer.name): \(level.label) (u undoes)")
        return effects
    }

    /// The column whose level matches the selected layer's settings (else the first).
    static func column(matching state: AppState, in data: SensitivityData) -> Int {
        guard let layer = state.selectedLayer else { return 0 }
        let settings = state.plan.settings(for: layer.name)
        return data.levels.firstIndex { $0.settings == settings } ?? 0
    }

    static func handleMouse(_ state: inout AppState, _ mouse: MouseEvent) -> [Effect] {
        guard let data = state.sensitivity else { return [] }
        let grid = HeatmapGeometry(layout: state.layout, state: state, levels: data.levels.count)
        switch mouse.action {
        case .press(.left):
            if let cell = grid.cell(at: mouse.position) {
                Explorer.selectRow(&state, cell.row)
                state.overlay = .heatmap(column: cell.column)
            }
        case .wheelUp: Explorer.moveSelection(&state, byRows: -3)
        case .wheelDown: Explorer.moveSelection(&state, byRows: 3)
        default: break
        }
        return []
    }
}

/// Where the heatmap's cells are: shared by the view and the mouse handling.
public struct HeatmapGeometry: Sendable, Equatable {
    public static let cellWidth = 6
    /// The whole heatmap overlay.
    public var frame: Rect
    /// Rows of layer names and cells (below the headings).
    public var rows: Rect
    public var nameWidth: Int
    public var firstRow: Int
    public var levelCount: Int

    public init(layout: ExplorerLayout, state: AppState, levels: Int) {
        frame = layout.body
        // Title rule, column headings; two lines at the bottom explain the cell.
        rows = frame.inset(top: 2, bottom: 2)
        levelCount = levels
        let longest = state.layers.map { DisplayWidth.of($0.name) }.max() ?? 8
        nameWidth = max(8, min(longest + 1, frame.width - 2 - levels * Self.cellWidth))
        // The selection stays in view, as in the table (whose rows may be more or fewer).
        firstRow = ExplorerLayout.scroll(state.tableScroll, keeping: state.selectedRow, visible: max(1, rows.height),
                                         count: state.layers.count)
    }

    public func cellRect(row: Int, column: Int) -> Rect {
        Rect(x: frame.x + 1 + nameWidth + column * Self.cellWidth, y: rows.y + row - firstRow,
             width: Self.cellWidth, height: 1)
    }

    /// The table row and level column under a point.
    public func cell(at p: Point) -> (row: Int, column: Int)? {
        guard rows.contains(p) else { return nil }
        let x = p.x - (frame.x + 1 + nameWidth)
        guard x >= 0 else { return nil }
        let column = x / Self.cellWidth
        guard column < levelCount else { return nil }
        return (firstRow + p.y - rows.y, column)
    }
}
