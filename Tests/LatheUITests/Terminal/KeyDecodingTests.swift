import CNcursesw
import Testing
@testable import LatheUI

@Suite struct KeyDecodingTests {
    @Test func controlBytesAndPrintables() {
        #expect(CursesKeyDecoder.decode(character: 18) == .ctrl("r"))
        #expect(CursesKeyDecoder.decode(character: 21) == .ctrl("u"))
        #expect(CursesKeyDecoder.decode(character: 3) == .ctrl("c"))
        #expect(CursesKeyDecoder.decode(character: 9) == KeyPress(.tab))
        #expect(CursesKeyDecoder.decode(character: 13) == KeyPress(.enter))
        #expect(CursesKeyDecoder.decode(character: 10) == KeyPress(.enter))
        #expect(CursesKeyDecoder.decode(character: 127) == KeyPress(.backspace))
        #expect(CursesKeyDecoder.decode(character: 8) == KeyPress(.backspace))
        #expect(CursesKeyDecoder.decode(character: 27) == KeyPress(.escape))
        #expect(CursesKeyDecoder.decode(character: 0x71) == .char("q"))
        #expect(CursesKeyDecoder.decode(character: 0x6F22) == .char("漢"))
        #expect(CursesKeyDecoder.decode(character: 0x85) == nil)  // C1 control
        #expect(CursesKeyDecoder.decode(character: 0xD800) == nil)  // surrogate: not a scalar
    }

    @Test func cursesKeyCodes() {
        #expect(CursesKeyDecoder.decode(keyCode: KEY_UP, name: nil) == KeyPress(.up))
        #expect(CursesKeyDecoder.decode(keyCode: KEY_NPAGE, name: nil) == KeyPress(.pageDown))
        #expect(CursesKeyDecoder.decode(keyCode: KEY_BTAB, name: nil) == KeyPress(.backTab))
        #expect(CursesKeyDecoder.decode(keyCode: KEY_SR, name: nil) == KeyPress(.up, .shift))
        #expect(CursesKeyDecoder.decode(keyCode: lathe_key_f(5), name: nil) == KeyPress(.function(5)))
        #expect(CursesKeyDecoder.decode(keyCode: KEY_BACKSPACE, name: nil) == KeyPress(.backspace))
        // Codes ncurses assigns at run time to xterm's modified keys, recognised by name.
        #expect(CursesKeyDecoder.decode(keyCode: 600, name: "kUP5") == KeyPress(.up, .control))
        #expect(CursesKeyDecoder.decode(keyCode: 601, name: "kRIT3") == KeyPress(.right, .alt))
        #expect(CursesKeyDecoder.decode(keyCode: 602, name: "kNXT6") == KeyPress(.pageDown, [.control, .shift]))
        #expect(CursesKeyDecoder.decode(keyCode: 603, name: "kUP") == nil)
        #expect(CursesKeyDecoder.decode(keyCode: 604, name: "kFOO5") == nil)
    }

    @Test func mouseDecoding() {
        #expect(CursesKeyDecoder.decodeMouse(kind: 1, modifierBits: 0, x: 3, y: 4)
            == MouseEvent(.press(.left), at: Point(x: 3, y: 4)))
        #expect(CursesKeyDecoder.decodeMouse(kind: 5, modifierBits: 4, x: 0, y: 0)?.action == .wheelDown)
        #expect(CursesKeyDecoder.decodeMouse(kind: 5, modifierBits: 4, x: 0, y: 0)?.modifiers == .control)
        #expect(CursesKeyDecoder.decodeMouse(kind: 0, modifierBits: 0, x: 0, y: 0) == nil)
    }

    @Test func keyNamesForHelpAndHints() {
        #expect(KeyPress.ctrl("r").description == "Ctrl-R")
        #expect(KeyPress(.character("x"), .alt).description == "Alt-x")
        #expect(KeyPress(.backTab).description == "Shift-Tab")
        #expect(KeyPress.char(" ").description == "Space")
        #expect(KeyPress(.pageDown).description == "PgDn")
    }

    @Test func terminalAvailabilityAndPadding() {
        #expect(CursesBackend.unavailabilityReason(environment: ["TERM": "dumb"], stdinIsTTY: true, stdoutIsTTY: true)
            == "TERM=dumb cannot show a full-screen interface")
        #expect(CursesBackend.unavailabilityReason(environment: [:], stdinIsTTY: true, stdoutIsTTY: true)
            == "TERM is not set")
        #expect(CursesBackend.unavailabilityReason(environment: ["TERM": "xterm"], stdinIsTTY: false, stdoutIsTTY: true) != nil)
        #expect(CursesBackend.unavailabilityReason(environment: ["TERM": "xterm"], stdinIsTTY: true, stdoutIsTTY: true) == nil)
        let message = CursesBackend.unavailableMessage("TERM is not set")
        #expect(message.contains("lathe eval") && message.contains("lathe inspect"))
        #expect(TerminalRestorer.stripPadding("\u{1B}[?1049l$<5>\u{1B}[23;0;0t") == "\u{1B}[?1049l\u{1B}[23;0;0t")
        #expect(TerminalRestorer.stripPadding("a$<b") == "a$<b")
    }
}
