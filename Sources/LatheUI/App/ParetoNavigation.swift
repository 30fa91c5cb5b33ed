import LatheCore

/// Keys while the Pareto view is open: ←/→ walk the front's points, Enter applies
/// the point's plan (which then streams in like any edit), Esc closes.
enum ParetoNavigation {
    static func open(_ state: inout AppState) {
        guard let front = state.paretoFront, !front.points.isEmpty else {
            state.message = .init("no Pareto front yet: press a to search", .warning)
            return
        }
        state.overlay = .pareto(point: front.index(matching: state.plan))
    }

    /// Handles the view's own commands; nil for commands that act as usual.
    static func handle(_ state: inout AppState, _ command: Command?, point: Int) -> [Effect]? {
        guard let front = state.paretoFront, !front.points.isEmpty else {
            state.overlay = nil
            return nil
        }
        let last = front.points.count - 1
        let current = min(max(0, point), last)
        switch command {
        case .fewerBits, .moveDown: state.overlay = .pareto(point: max(0, current - 1))
        case .moreBits, .moveUp: state.overlay = .pareto(point: min(last, current + 1))
        case .first: state.overlay = .pareto(point: 0)
        case .last: state.overlay = .pareto(point: last)
        case .focusDetail:
            return apply(&state, front.points[current], index: current, of: front.points.count)
        case .cancel, .paretoView, .help:
            state.overlay = command == .help ? .help(scroll: 0) : nil
        case .undo, .redo, .quit, .export, .cycleTheme:
            return nil
        default:
            break
        }
        return []
    }

    static func apply(_ state: inout AppState, _ point: ParetoData.Point, index: Int, of count: Int) -> [Effect] {
        guard point.plan != state.plan else {
            state.message = .init("the current plan already is point \(index + 1) of \(count)")
            return []
        }
        let effects = Explorer.change(&state, to: point.plan)
        state.message = .init("applied front point \(index + 1) of \(count): \(Format.bytes(point.sizeBytes)) (u undoes)")
        return effects
    }
}
