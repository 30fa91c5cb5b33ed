import Foundation
import LatheCore
import Testing
@testable import LatheUI

@Suite struct KeymapTests {
    @Test func everyCommandHasAnEntryAndNoKeyIsBoundTwice() {
        let keymap = Keymap.standard
        #expect(Set(keymap.entries.map(\.command)) == Set(Command.allCases))
        let keys = keymap.entries.flatMap(\.keys)
        #expect(keys.count == Set(keys).count)
        #expect(keymap.entries.allSatisfy { !$0.keys.isEmpty && !$0.help.isEmpty && $0.hint?.label.isEmpty != true })
    }

    /// The hint line is derived from the key table's hints, in table order.
    @Test func hintGroupsComeFromTheTable() {
        let groups = Keymap.hintGroups.map {
            "\($0.commands.map(\.rawValue).joined(separator: "+")) \($0.label) \($0.priority)"
        }
        #expect(groups == [
            "move-up+move-down move 1", "fewer-bits+more-bits bits 1", "prune-less+prune-more prune 2",
            "structure struct 4", "clusters share 3", "mark mark 5", "undo undo 3",
            "sweep sweep 3", "heatmap heatmap 6", "export export 1", "help help 1", "quit quit 1",
        ])
    }

    @Test func theIssuesDefaultKeys() {
        let k = Keymap.standard
        let expected: [(KeyPress, Command)] = [
            (KeyPress(.up), .moveUp), (.char("k"), .moveUp), (KeyPress(.down), .moveDown), (.char("j"), .moveDown),
            (KeyPress(.pageUp), .pageUp), (KeyPress(.pageDown), .pageDown), (.char("g"), .first), (.char("G"), .last),
            (KeyPress(.tab), .nextPane), (.char("/"), .search), (KeyPress(.enter), .focusDetail),
            (KeyPress(.left), .fewerBits), (.char("h"), .fewerBits), (KeyPress(.right), .moreBits),
            (.char("l"), .moreBits), (.char("["), .pruneLess), (.char("]"), .pruneMore), (.char("p"), .cycleStructure),
            (.char("c"), .cycleClusters), (.char(" "), .toggleMark), (.char("A"), .applyToMarked), (.char("u"), .undo),
            (.ctrl("r"), .redo), (.char("s"), .sweep), (KeyPress(.escape), .cancel), (.char("a"), .autoSearch),
            (.char("o"), .openConfig), (.char("e"), .export), (.char("t"), .cycleTheme), (.char("?"), .help),
            (.char("q"), .quit), (.char("r"), .cycleGranularity), (.char("m"), .cycleScheme),
        ]
        for (key, command) in expected { #expect(k.command(for: key) == command, "\(key)") }
        // A shifted capital still finds its binding.
        #expect(k.command(for: KeyPress(.character("G"), .shift)) == .last)
    }

    @Test func keyNamesRoundTripThroughTheirDescriptions() {
        let keys: [KeyPress] = [.char("q"), .char("G"), .ctrl("r"), KeyPress(.up), KeyPress(.pageDown),
                                KeyPress(.backTab), KeyPress(.escape), KeyPress(.character(" ")),
                                KeyPress(.function(5)), KeyPress(.character("x"), .alt), KeyPress(.enter)]
        for key in keys { #expect(KeyNames.parse(key.description) == key, "\(key)") }
        #expect(KeyNames.parse("ctrl-R") == .ctrl("r"))
        #expect(KeyNames.parse("pgdn") == KeyPress(.pageDown))
        #expect(KeyNames.parse("Hyper-x") == nil)
    }

    @Test func aKeyFileRebindsCommandsEverywhere() throws {
        let yaml = """
            # swap quit to Q, add + and - for bits
            quit: Q
            more-bits: [Right, "+"]
            fewer-bits: [Left, "-", l]
            """
        let keymap = try KeymapFile.parse(yaml, file: "keys.yaml")
        #expect(keymap.command(for: .char("Q")) == .quit)
        #expect(keymap.command(for: .char("q")) == nil)
        #expect(keymap.command(for: .char("+")) == .moreBits)
        // l was more-bits; the file gave it to fewer-bits.
        #expect(keymap.command(for: .char("l")) == .fewerBits)
        #expect(keymap.keys(for: .moreBits) == [KeyPress(.right), .char("+")])

        // Dispatch, hints and help follow the file.
        var state = ExplorerFixture.state()
        state.keymap = keymap
        ExplorerFixture.run(&state, ExplorerFixture.keys("q"))
        #expect(!state.shouldQuit)
        ExplorerFixture.run(&state, ExplorerFixture.keys("-"))
        #expect(state.plan.settings(for: "stem.conv.weight").bits == .fp16)
        ExplorerFixture.run(&state, ExplorerFixture.keys("u"))
        #expect(ExplorerFixture.run(&state, ExplorerFixture.keys("Q")) == [.quit])
        let hints = BottomLineView.hints(ExplorerFixture.state(), width: 200, glyphs: .unicode).text
        #expect(hints.contains("q quit"))
        var remapped = ExplorerFixture.state()
        remapped.keymap = keymap
        #expect(BottomLineView.hints(remapped, width: 200, glyphs: .unicode).text.contains("Q quit"))
        let help = HelpView.lines(keymap, glyphs: .unicode, width: 100).map(\.text)
        #expect(help.contains { $0.contains("Q ") && $0.contains("quit (asks first") })
    }

    @Test func keyFileErrorsNameTheLineAndSuggest() {
        #expect(throws: LatheError.self) { try KeymapFile.parse("quit: Q\nmore-bit: l\n", file: "k.yaml") }
        do {
            _ = try KeymapFile.parse("quit: Q\nmore-bit: l\n", file: "k.yaml")
        } catch let error as LatheError {
            #expect(error.kind == .badInput)
            #expect(error.message.contains("k.yaml:2"))
            #expect(error.message.contains("did you mean 'more-bits'"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        do {
            _ = try KeymapFile.parse("quit: Hyper-Q\n", file: "k.yaml")
            Issue.record("an unknown key name must be refused")
        } catch let error as LatheError {
            #expect(error.message.contains("unknown key 'Hyper-Q'"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func loadsFromAFileAndTheDefaultPathFollowsXDG() throws {
        let dir = ExplorerFixture.temporaryDirectory
        let path = dir.appendingPathComponent("keys.yaml").path
        try "undo: U\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try KeymapFile.load(path: path).command(for: .char("U")) == .undo)
        #expect(KeymapFile.defaultPath(environment: ["HOME": "/home/a"]) == "/home/a/.config/lathe/keys.yaml")
        #expect(KeymapFile.defaultPath(environment: ["HOME": "/h", "XDG_CONFIG_HOME": "/x"]) == "/x/lathe/keys.yaml")
        #expect(throws: LatheError.self) { try KeymapFile.load(path: dir.appendingPathComponent("none.yaml").path) }
    }
}
