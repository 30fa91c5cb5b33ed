import LatheCore
import Testing
@testable import LatheUI

@Suite struct LineEditorTests {
    func edit(_ text: String, _ keys: [KeyPress]) -> LineEditor {
        var editor = LineEditor(text)
        for key in keys { editor.handle(key) }
        return editor
    }

    @Test func typingInsertsAtTheCursorWhichStartsAtTheEnd() {
        let editor = edit("conf", [.char("i"), .char("g"), KeyPress(.left), KeyPress(.left), .char("_")])
        #expect(editor.text == "conf_ig")
        #expect(editor.cursor == 5)
    }

    @Test func homeEndAndTheirControlKeys() {
        var editor = edit("path.yaml", [KeyPress(.home), .char("/")])
        #expect(editor.text == "/path.yaml" && editor.cursor == 1)
        editor = edit("abc", [.ctrl("a"), .char("x"), .ctrl("e"), .char("y")])
        #expect(editor.text == "xabcy")
        editor = edit("abc", [KeyPress(.home), KeyPress(.end), .char("!")])
        #expect(editor.text == "abc!")
    }

    @Test func deletingCharactersWordsAndTheWholeLine() {
        #expect(edit("abc", [KeyPress(.backspace)]).text == "ab")
        #expect(edit("abc", [KeyPress(.home), KeyPress(.backspace), KeyPress(.delete)]).text == "bc")
        #expect(edit("out/dir/config.yaml", [.ctrl("w")]).text == "out/dir/")
        #expect(edit("out/dir/", [.ctrl("w")]).text == "out/")
        #expect(edit("two words", [.ctrl("w")]).text == "two ")
        let cleared = edit("/tmp/x.yaml", [KeyPress(.left), .ctrl("u")])
        #expect(cleared.text == "" && cleared.cursor == 0)
        #expect(edit("abcdef", [KeyPress(.home), KeyPress(.right), KeyPress(.right), .ctrl("k")]).text == "ab")
    }

    @Test func cursorStaysInsideTheText() {
        let editor = edit("ab", [KeyPress(.right), KeyPress(.right), KeyPress(.home), KeyPress(.left)])
        #expect(editor.cursor == 0)
        #expect(edit("", [KeyPress(.backspace), KeyPress(.delete), .ctrl("w")]).text == "")
    }

    @Test func nonEditingKeysAreLeftToThePrompt() {
        var editor = LineEditor("x")
        let handled = [KeyPress(.enter), KeyPress(.escape), KeyPress(.up)].map { editor.handle($0) }
        #expect(handled == [false, false, false])
        #expect(editor.text == "x")
    }
}

@Suite struct SearchConstraintParsingTests {
    @Test func parsesDropsRatiosAndSizes() throws {
        #expect(try SearchConstraint.parse("1%").get() == .maxDrop(0.01))
        #expect(try SearchConstraint.parse(" drop 0.5 % ").get() == .maxDrop(0.005))
        #expect(try SearchConstraint.parse("4x").get() == .targetRatio(4))
        #expect(try SearchConstraint.parse("2.5×").get() == .targetRatio(2.5))
        #expect(try SearchConstraint.parse("20KB").get() == .targetSize(20_000))
        #expect(try SearchConstraint.parse("1.5 mb").get() == .targetSize(1_500_000))
        #expect(try SearchConstraint.parse("500b").get() == .targetSize(500))
    }

    @Test func qualityBudgetsFollowTheSessionsMetric() throws {
        #expect(try SearchConstraint.parse("30dB", metric: .sqnr).get() == .minSQNR(30))
        #expect(try SearchConstraint.parse(" 12.5 db", metric: .sqnr).get() == .minSQNR(12.5))
        #expect(try SearchConstraint.parse("10%", metric: .mse).get() == .maxIncrease(0.1))
        #expect(try SearchConstraint.parse("150%", metric: .mae).get() == .maxIncrease(1.5))
        #expect(try SearchConstraint.parse("1%", metric: .cosine).get() == .maxDrop(0.01))
        #expect(try SearchConstraint.parse("20KB", metric: .sqnr).get() == .targetSize(20_000))
        // A budget of the wrong kind explains what to type instead.
        guard case .failure(let percent) = SearchConstraint.parse("1%", metric: .sqnr),
              case .failure(let decibels) = SearchConstraint.parse("30dB", metric: .top1) else {
            Issue.record("a percentage on SQNR, and dB on top-1, must be refused")
            return
        }
        #expect(percent.message.contains("30dB"))
        #expect(decibels.message.contains("needs the sqnr metric"))
    }

    @Test func rejectsWhatIsNotABudget() {
        for text in ["", "fast", "0.5x", "-1%", "100%", "0KB", "x", "%"] {
            guard case .failure = SearchConstraint.parse(text) else {
                Issue.record("'\(text)' should be rejected")
                continue
            }
        }
    }
}
