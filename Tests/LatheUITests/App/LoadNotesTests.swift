import Testing
@testable import LatheUI

/// What the launcher printed on stderr while loading reaches the explorer, which the terminal
/// would otherwise hide: the first warning on the message line, every line in the help overlay.
@Suite struct LoadNotesTests {
    typealias F = ExplorerFixture

    static let notes = [
        "metric: top1 (integer labels, one per sample)",
        "warning: /tmp/extra.npz: array 'notes' matches no model input (the model's inputs: x); it is not used",
        "note: /tmp/extra.npz: array 'y' feeds the model's input 'y', so the set has no labels "
            + "(name the labels array with --labels NAME)",
    ]

    static func state() -> AppState {
        var state = F.state(width: 120, height: 40, started: false)
        state.loadNotes = notes
        _ = Explorer.initialEffects(&state)
        return state
    }

    @Test func theFirstWarningIsOnTheMessageLineWithACountOfTheRest() {
        let state = Self.state()
        #expect(state.message == .init(Self.notes[1] + " (+1 more: ? lists them)", .warning))
        let bottom = ExplorerView.renderText(state, width: 120, height: 40).split(separator: "\n").last ?? ""
        #expect(bottom.contains("warning: /tmp/extra.npz: array 'notes' matches no model input"), "\(bottom)")
    }

    @Test func onlyTheMetricLineLeavesTheMessageLineAlone() {
        var state = F.state(started: false)
        state.loadNotes = [Self.notes[0]]
        _ = Explorer.initialEffects(&state)
        #expect(state.message == nil, "the header already says which metric and why")
    }

    @Test func helpListsEveryLineLoadingPrinted() {
        var state = Self.state()
        F.run(&state, F.keys("?"))
        let screen = ExplorerView.renderText(state, width: 120, height: 40)
        #expect(screen.contains("While loading"), "\(screen)")
        #expect(screen.contains("metric: top1 (integer labels, one per sample)"), "\(screen)")
        #expect(screen.contains("array 'notes' matches no model input"), "\(screen)")
        // A long line wraps inside the overlay instead of being cut off: its last words are on screen.
        #expect(screen.contains("--labels NAME)"), "\(screen)")
        #expect(HelpView.wrapped(Self.notes[2], width: 60).allSatisfy { DisplayWidth.of($0) <= 60 })
        #expect(HelpView.wrapped(Self.notes[2], width: 60).joined(separator: " ") == Self.notes[2])
    }
}
