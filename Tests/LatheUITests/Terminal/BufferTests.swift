import Testing
@testable import LatheUI

@Suite struct BufferTests {
    @Test func writeReturnsNextColumnAndRendersText() {
        var b = Buffer(width: 10, height: 2)
        let end = b.write("ab", at: Point(x: 1, y: 0), style: .accent)
        #expect(end == 3)
        b.write("cd", at: Point(x: end, y: 0))
        #expect(b.renderText() == " abcd\n")
        #expect(b[x: 1, y: 0].style == .accent)
        #expect(b[x: 3, y: 0].style == .fg)
    }

    @Test func wideCharactersTakeTwoCellsWithAContinuation() {
        var b = Buffer(width: 6, height: 1)
        let end = b.write("a漢b", at: Point(x: 0, y: 0))
        #expect(end == 4)
        #expect(b[x: 1, y: 0] == Cell("漢", width: 2))
        #expect(b[x: 2, y: 0].isContinuation)
        #expect(b[x: 3, y: 0].grapheme == "b")
        #expect(b.renderText() == "a漢b")
    }

    @Test func wideCharacterAtTheClipEdgeBecomesABlank() {
        var b = Buffer(width: 8, height: 1)
        b.fill(b.bounds, with: ".")
        // Clip is columns 0..<4: "ab" then 漢 would need columns 2-3 (fits), 字 columns 4-5 (clipped).
        b.write("ab漢字", at: Point(x: 0, y: 0), clip: Rect(x: 0, y: 0, width: 4, height: 1))
        #expect(b.renderText() == "ab漢....")
        // Clip of 3 columns: 漢 would straddle column 3, so column 2 is blanked instead.
        var c = Buffer(width: 8, height: 1)
        c.fill(c.bounds, with: ".")
        c.write("ab漢", at: Point(x: 0, y: 0), style: .bad, clip: Rect(x: 0, y: 0, width: 3, height: 1))
        #expect(c.renderText() == "ab .....")
        #expect(c[x: 2, y: 0].style == .bad)
        // The buffer's own right edge acts the same.
        var d = Buffer(width: 3, height: 1)
        d.write("a漢", at: Point(x: 1, y: 0))
        #expect(d.renderText(keepTrailingSpaces: true) == " a ")
    }

    @Test func clippingOnTheLeftAndOutsideRows() {
        var b = Buffer(width: 6, height: 2)
        b.write("漢abc", at: Point(x: -1, y: 0))
        // 漢 covers columns -1 and 0: only half visible, so column 0 is blank.
        #expect(b.renderText() == " abc\n")
        b.write("xyz", at: Point(x: 0, y: 5))
        b.write("xyz", at: Point(x: 2, y: 1), clip: Rect(x: 0, y: 0, width: 6, height: 1))
        #expect(b.renderText() == " abc\n")
    }

    @Test func overwritingHalfOfAWideCharacterBlanksTheOtherHalf() {
        var b = Buffer(width: 6, height: 1)
        b.write("漢字", at: Point(x: 0, y: 0))
        b.write("x", at: Point(x: 1, y: 0))  // second half of 漢
        #expect(b.renderText() == " x字")
        b.write("y", at: Point(x: 2, y: 0))  // first half of 字
        #expect(b.renderText() == " xy")
        #expect(!b[x: 3, y: 0].isContinuation)
        b.write("漢", at: Point(x: 3, y: 0))
        b.write("字", at: Point(x: 2, y: 0))  // covers y and the first half of 漢
        #expect(b.renderText() == " x字")
        #expect(b[x: 4, y: 0] == Cell(" "))
    }

    @Test func controlCharactersAreShownAsQuestionMarksAndCombiningMarksJoin() {
        var b = Buffer(width: 10, height: 1)
        let end = b.write("a\tb\u{1B}[1m", at: Point(x: 0, y: 0))
        #expect(b.renderText() == "a?b?[1m")
        #expect(end == 7)
        var c = Buffer(width: 4, height: 1)
        c.write("e\u{301}x", at: Point(x: 0, y: 0))
        #expect(c[x: 0, y: 0].grapheme == "e\u{301}")
        #expect(c[x: 1, y: 0].grapheme == "x")
    }

    @Test func boxesAndRestyleInUnicodeAndASCII() {
        var b = Buffer(width: 12, height: 4)
        let inside = b.drawBox(b.bounds, glyphs: .unicode, title: "Layers")
        b.write("conv1", at: inside.origin)
        b.restyle(inside.row(0)) { $0 = .selection }
        #expect(b.renderText() == """
            ┌ Layers ──┐
            │conv1     │
            │          │
            └──────────┘
            """)
        #expect(b.renderStyles().split(separator: "\n")[1] == "-SSSSSSSSSS-")
        var a = Buffer(width: 6, height: 3)
        a.drawBox(a.bounds, glyphs: .ascii)
        #expect(a.renderText() == "+----+\n|    |\n+----+")
        var tiny = Buffer(width: 1, height: 1)
        #expect(tiny.drawBox(tiny.bounds, glyphs: .unicode).isEmpty)
        #expect(tiny.renderText() == "")
    }

    @Test func heatStylesAreQuantisedAndClamped() {
        #expect(Style.heat(0.5) == Style.heat(0.5 + 1e-6))
        #expect(Style.heat(2) == Style.heat(1))
        #expect(Style.heat(.nan) == Style.heat(0))
        #expect(Buffer.defaultStyleCode(.heatBackground(0.95)) == "9")
    }
}
