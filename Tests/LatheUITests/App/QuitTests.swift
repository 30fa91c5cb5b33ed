import LatheCore
import Testing
@testable import LatheUI

/// Quitting must work after any key sequence. A storm of random keys left the explorer running
/// after Esc Esc Esc q y in 2 of 3 runs: sent in one burst, the terminal delivers the last Esc
/// glued to the q, which arrives as Alt-q; nothing bound Alt-q, so the q was lost.
@Suite struct QuitTests {
    typealias F = ExplorerFixture

    static let alt = Modifiers.alt

    /// Esc Esc Esc q y as a terminal delivers it in one burst: the last Esc and the q as Alt-q.
    static let burst: [Action] = [.key(KeyPress(.escape)), .key(KeyPress(.escape)),
                                  .key(KeyPress(.character("q"), alt)), .key(.char("y"))]
    /// The same typed slowly.
    static let slow: [Action] = F.keys("{Esc}{Esc}{Esc}qy")

    /// The states a storm can leave the explorer in, each with unexported changes (so q asks).
    static func modalStates() -> [(String, AppState)] {
        func dirty(_ setup: (inout AppState) -> Void) -> AppState {
            var state = F.state()
            F.run(&state, F.keys("h"))
            setup(&state)
            return state
        }
        let sweeping = { (state: inout AppState) in
            let job = JobProgress(id: 1, kind: .sweep, phase: "sweep", done: 3, total: 71)
            F.run(&state, [.engine(F.engine(for: state, value: 0.9, done: 100, final: false, job: job))])
        }
        return [
            ("the table", dirty { _ in }),
            ("help", dirty { F.run(&$0, F.keys("?jj")) }),
            ("the heatmap", dirty { $0.sensitivity = F.sensitivity(); F.run(&$0, F.keys("Hl")) }),
            ("the detail pane", dirty { F.run(&$0, F.keys("{Enter}")) }),
            ("marks", dirty { F.run(&$0, F.keys("  ")) }),
            ("the export prompt", dirty { F.run(&$0, F.keys("eabc")) }),
            ("the open prompt", dirty { F.run(&$0, F.keys("oq")) }),
            ("the search budget prompt", dirty { F.run(&$0, F.keys("a{Ctrl-U}4x")) }),
            ("a layer search", dirty { F.run(&$0, F.keys("/blocks")) }),
            ("the quit question", dirty { F.run(&$0, F.keys("q")) }),
            ("a running sweep", dirty(sweeping)),
            ("a running sweep, help open", dirty { sweeping(&$0); F.run(&$0, F.keys("?")) }),
            ("a too-small screen", dirty { F.run(&$0, [.resize(TerminalSize(width: 30, height: 8))]) }),
            ("a 1×1 screen", dirty { F.run(&$0, [.resize(TerminalSize(width: 1, height: 1))]) }),
        ]
    }

    @Test(arguments: [false, true])
    func escEscEscQYQuitsFromEveryState(inBurst: Bool) {
        for (name, start) in Self.modalStates() {
            var state = start
            let effects = F.run(&state, inBurst ? Self.burst : Self.slow)
            #expect(state.shouldQuit, "not quitting from \(name) (\(inBurst ? "one burst" : "typed slowly"))")
            #expect(effects.contains(.quit), "no quit effect from \(name)")
        }
    }

    @Test func anUnboundAltKeyIsTheEscAndTheKey() {
        var state = F.state()
        F.run(&state, F.keys("?"))
        // Alt-j: Esc closes help, then j moves down.
        F.run(&state, [.key(KeyPress(.character("j"), Self.alt))])
        #expect(state.overlay == nil)
        #expect(state.selected == 1)
        // In a prompt, Alt-x cancels it and x is then an ordinary key (unbound: nothing happens).
        F.run(&state, F.keys("eabc"))
        F.run(&state, [.key(KeyPress(.character("x"), Self.alt))])
        #expect(state.prompt == nil)
    }

    @Test func aBoundAltKeyKeepsItsBinding() {
        var state = F.state()
        state.keymap.rebind(.help, to: [KeyPress(.character("h"), Self.alt)])
        F.run(&state, [.key(KeyPress(.character("h"), Self.alt))])
        #expect(state.overlay == .help(scroll: 0))
        #expect(state.plan == .identity(layers: F.weightLayers)) // h (fewer bits) did not run
    }

    @Test func noKeyButYQuitsFromTheQuestion() {
        var state = F.state()
        F.run(&state, F.keys("hq"))
        #expect(state.prompt?.kind == .confirmQuit)
        F.run(&state, F.keys("n"))
        #expect(state.prompt == nil)
        #expect(!state.shouldQuit)
        F.run(&state, F.keys("qy"))
        #expect(state.shouldQuit)
    }
}
