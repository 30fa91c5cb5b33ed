import CNcursesw
import Testing
@testable import LatheUI

@Suite struct ColorTests {
    @Test func parsingColours() {
        #expect(ThemeColor(parsing: "#5f87af") == .rgb(0x5F, 0x87, 0xAF))
        #expect(ThemeColor(parsing: "#FFF") == .rgb(255, 255, 255))
        #expect(ThemeColor(parsing: "208") == .indexed(208))
        #expect(ThemeColor(parsing: "bright_red") == .indexed(9))
        #expect(ThemeColor(parsing: "Bright-Blue") == .indexed(12))
        #expect(ThemeColor(parsing: "grey") == .indexed(8))
        #expect(ThemeColor(parsing: "default") == .terminalDefault)
        #expect(ThemeColor(parsing: "256") == nil)
        #expect(ThemeColor(parsing: "#12345") == nil)
        #expect(ThemeColor(parsing: "#12345g") == nil)
        #expect(ThemeColor(parsing: "purple") == nil)
        #expect(ThemeColor.rgb(0x5F, 0x87, 0x0A).description == "#5f870a")
    }

    @Test func xterm256Quantisation() {
        // Exact cube entries: levels 0,95,135,175,215,255 -> 16 + 36r + 6g + b.
        #expect(ColorQuantizer.nearest256(0x5F, 0x87, 0xAF) == 67)
        #expect(ColorQuantizer.nearest256(255, 0, 0) == 196)
        #expect(ColorQuantizer.nearest256(0, 0, 0) == 16)
        // Greys 232-255 are 8 + 10k: #808080 (128) is grey 12 = 244, between cube levels.
        #expect(ColorQuantizer.nearest256(128, 128, 128) == 244)
        #expect(ColorQuantizer.nearest256(0x1C, 0x1C, 0x1C) == 234)
        // Near, not exact: (100, 140, 170) -> cube (95, 135, 175) = 16 + 36 + 12 + 3.
        #expect(ColorQuantizer.nearest256(100, 140, 170) == 67)
        // Every palette entry maps back to an entry of the same colour.
        for i in 16...255 {
            let c = ColorQuantizer.rgb(ofIndex: UInt8(i))
            let back = ColorQuantizer.rgb(ofIndex: ColorQuantizer.nearest256(c.r, c.g, c.b))
            #expect(back == c, "index \(i)")
        }
    }

    @Test func sixteenAndEightColourQuantisation() {
        #expect(ColorQuantizer.nearest16(250, 10, 10) == 9)  // bright red #ff0000
        #expect(ColorQuantizer.nearest16(200, 0, 0) == 1)  // red #cd0000
        #expect(ColorQuantizer.nearest16(0x5F, 0xAF, 0xFF) == 12)  // light blue -> bright blue #5c5cff
        #expect(ColorQuantizer.nearest16(0x1C, 0x1C, 0x1C) == 0)
        #expect(ColorQuantizer.nearest16(0x80, 0x80, 0x80) == 8)
        #expect(ColorQuantizer.nearest8(0x5F, 0xAF, 0xFF) == 6)  // cyan #00cdcd is closest of the 8
        #expect(ColorQuantizer.nearest8(255, 255, 255) == 7)
        #expect(ColorQuantizer.isDark(index: 0) && ColorQuantizer.isDark(index: 4) && !ColorQuantizer.isDark(index: 7))
    }

    @Test func depthDetection() {
        func detect(_ env: [String: String], colors: Int = 256, change: Bool = false, has: Bool = true) -> ColorDepth {
            ColorDepth.detect(environment: env, hasColors: has, colors: colors, canChangeColor: change)
        }
        #expect(detect(["NO_COLOR": "1"]) == .monochrome)
        #expect(detect(["NO_COLOR": ""]) == .xterm256)  // the spec: only a non-empty value counts
        #expect(detect([:], has: false) == .monochrome)
        #expect(detect([:], colors: 1 << 24) == .direct)
        #expect(detect(["COLORTERM": "truecolor"], change: true) == .palette)
        #expect(detect(["COLORTERM": "24bit"], change: false) == .xterm256)
        #expect(detect(["COLORTERM": "truecolor", "TMUX": "/tmp/x"], change: true) == .xterm256)
        #expect(detect([:], colors: 16) == .ansi16)
        #expect(detect([:], colors: 8) == .ansi8)
    }

    @Test func colourNumbersPerDepth() {
        let blue = ThemeColor.rgb(0x5F, 0x87, 0xAF)
        #expect(ColorDepth.direct.colorNumber(blue) == 0x5F87AF)
        #expect(ColorDepth.direct.colorNumber(.rgb(0, 0, 1)) == 8)
        #expect(ColorDepth.direct.colorNumber(.indexed(3)) == 3)
        #expect(ColorDepth.direct.colorNumber(.indexed(196)) == 0xFF0000)
        #expect(ColorDepth.palette.colorNumber(blue) == nil)
        #expect(ColorDepth.palette.colorNumber(.indexed(9)) == 9)
        #expect(ColorDepth.xterm256.colorNumber(blue) == 67)
        #expect(ColorDepth.xterm256.colorNumber(.indexed(200)) == 200)
        #expect(ColorDepth.ansi16.colorNumber(.indexed(196)) == 9)
        #expect(ColorDepth.ansi8.colorNumber(.indexed(9)) == 1)
        #expect(ColorDepth.ansi8.colorNumber(.terminalDefault) == -1)
        #expect(ColorDepth.monochrome.colorNumber(blue) == -1)
    }
}

@Suite struct MonochromeAttributeTests {
    @Test func rolesBecomeAttributesWithoutColour() throws {
        let palette = CursesPalette(depth: .monochrome, defaultColorsUsable: true, theme: Theme.defaultTheme)
        #expect(palette.pair(for: .selection) == 0)
        #expect(palette.attributes(for: .selection) & lathe_a_reverse() != 0)
        #expect(palette.attributes(for: .header) & lathe_a_reverse() != 0)
        #expect(palette.attributes(for: .accent) & lathe_a_bold() != 0)
        #expect(palette.attributes(for: .dim) & lathe_a_dim() != 0)
        #expect(palette.attributes(for: .fg) == lathe_a_normal())
        #expect(palette.attributes(for: Style.fg.underlined()) & lathe_a_underline() != 0)
        // The mono theme triggers the same treatment on a colour terminal.
        let mono = CursesPalette(depth: .xterm256, defaultColorsUsable: true, theme: try Theme.load(nameOrPath: "mono"))
        #expect(mono.isMonochrome && mono.attributes(for: .selection) & lathe_a_reverse() != 0)
        // A colour theme on a colour terminal: no role attributes.
        let colour = CursesPalette(depth: .xterm256, defaultColorsUsable: true, theme: Theme.defaultTheme)
        #expect(colour.attributes(for: .selection) == lathe_a_normal())
    }
}
