import Testing
@testable import LatheUI

@Suite struct GlyphSetTests {
    @Test func asciiFallbackUsesOnlyASCII() {
        let g = GlyphSet.ascii
        let all = g.verticalLevels + g.horizontalLevels + g.shades + g.spinner
            + [g.horizontal, g.vertical, g.topLeft, g.topRight, g.bottomLeft, g.bottomRight, g.cross,
               g.arrowUp, g.arrowDown, g.arrowLeft, g.arrowRight, g.ellipsis, g.bullet, g.pointer, g.check]
        #expect(all.allSatisfy { $0.unicodeScalars.allSatisfy { $0.isASCII } })
        #expect(g.verticalLevels == ["_", ".", "-", "=", "#"])
        #expect(g.spinner == ["|", "/", "-", "\\"])
        #expect([g.horizontal, g.vertical, g.topLeft] == ["-", "|", "+"])
    }

    @Test func unicodeGlyphsAreSingleColumn() {
        let g = GlyphSet.unicode
        for glyph in g.verticalLevels + g.horizontalLevels + g.shades + g.spinner + [g.horizontal, g.check, g.ellipsis] {
            #expect(DisplayWidth.of(glyph) == 1, "\(glyph)")
        }
    }

    @Test func levelsAndBars() {
        let u = GlyphSet.unicode
        #expect(u.verticalLevel(0) == " ")
        #expect(u.verticalLevel(0.01) == "▁")
        #expect(u.verticalLevel(0.5) == "▄")
        #expect(u.verticalLevel(1) == "█")
        #expect(GlyphSet.ascii.verticalLevel(0.5) == "-")  // ceil(0.5·5) = 3rd of 5
        // 0.55 of 4 columns = 2.2 cells = 2 full + 1.6/8 ≈ 2 eighths.
        #expect(u.horizontalBar(0.55, width: 4) == "██▎ ")
        #expect(GlyphSet.ascii.horizontalBar(0.5, width: 4) == "##  ")
        #expect(u.horizontalBar(2, width: 3) == "███")
        #expect(u.spinnerFrame(11) == "⠙")
        #expect(GlyphSet.ascii.shade(1) == "#")
    }
}
