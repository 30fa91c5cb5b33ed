import Testing
@testable import LatheUI

@Suite struct DisplayWidthTests {
    @Test func widthsFollowWcwidth() {
        #expect(DisplayWidth.of("a" as Character) == 1)
        #expect(DisplayWidth.of("漢" as Character) == 2)
        #expect(DisplayWidth.of("ｱ" as Character) == 1)  // halfwidth katakana
        #expect(DisplayWidth.of("Ａ" as Character) == 2)  // fullwidth Latin
        #expect(DisplayWidth.of("😀" as Character) == 2)
        #expect(DisplayWidth.of("é" as Character) == 1)
        #expect(DisplayWidth.of("e\u{301}" as Character) == 1)  // e + combining acute: one grapheme
        #expect(DisplayWidth.of(Unicode.Scalar(0x301)!) == 0)
        #expect(DisplayWidth.of("█" as Character) == 1)
        #expect(DisplayWidth.of("⠋" as Character) == 1)
        #expect(DisplayWidth.of("conv1.weight 漢字") == 17)
    }

    @Test func truncateAndPadCountColumnsNotCharacters() {
        #expect(DisplayWidth.truncate("abcdef", to: 4) == "abc…")
        #expect(DisplayWidth.truncate("abcdef", to: 4, ellipsis: "...") == "a...")
        #expect(DisplayWidth.truncate("abc", to: 3) == "abc")
        // 漢字漢 is 6 columns; 5 allowed: 漢字 (4) + ellipsis (1).
        #expect(DisplayWidth.truncate("漢字漢", to: 5) == "漢字…")
        // 4 allowed: 漢 (2) + … (1), the next wide char does not fit in the 1 left.
        #expect(DisplayWidth.truncate("漢字漢", to: 4) == "漢…")
        #expect(DisplayWidth.pad("ab", to: 4) == "ab  ")
        #expect(DisplayWidth.pad("漢", to: 4, alignRight: true) == "  漢")
        #expect(DisplayWidth.truncate("abc", to: 0) == "")
    }
}
