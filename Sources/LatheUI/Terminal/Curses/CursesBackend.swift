import CNcursesw
import Foundation
import Glibc
import LatheCore

/// The real terminal, through ncursesw. Create, use and end it on one thread.
public final class CursesBackend: TerminalBackend {
    public struct Options: Sendable {
        /// Ctrl-C arrives as a key (raw mode) instead of interrupting (cbreak mode).
        public var ctrlCAsKey: Bool
        /// Report clicks and wheel.
        public var mouse: Bool
        public init(ctrlCAsKey: Bool = false, mouse: Bool = true) {
            self.ctrlCAsKey = ctrlCAsKey
            self.mouse = mouse
        }
    }

    public let wakeSignal = WakeSignal()
    public private(set) var size = TerminalSize(width: 0, height: 0)
    /// Known after `begin()`.
    public private(set) var colorDepth: ColorDepth = .monochrome
    /// Whether the locale is UTF-8 (else non-ASCII text is shown as "?"); known after `begin()`.
    public private(set) var isUnicode = false

    private let options: Options
    private let restorer = TerminalRestorer()
    private var screen: OpaquePointer?
    private var palette: CursesPalette?
    private var theme: Theme
    private var previous: Buffer?
    private var cursorShown: Bool?
    private var active = false

    public init(options: Options = Options(), theme: Theme = .defaultTheme) {
        self.options = options
        self.theme = theme
    }

    deinit { end() }

    /// The sentence `lathe` prints (after "error: ") when there is no usable terminal.
    public static func unavailableMessage(_ reason: String) -> String {
        "the interactive explorer needs a terminal: \(reason). For plain output use "
            + "`lathe eval MODEL --data FILE` (accuracy, add --config to apply compression) "
            + "or `lathe inspect MODEL` (layers and weights)"
    }

    /// Why this process cannot run a full-screen UI, or nil when it can.
    public static func unavailabilityReason(environment: [String: String], stdinIsTTY: Bool,
                                            stdoutIsTTY: Bool) -> String? {
        guard stdinIsTTY, stdoutIsTTY else { return "standard input and output must both be a terminal" }
        guard let term = environment["TERM"], !term.isEmpty else { return "TERM is not set" }
        guard term != "dumb" else { return "TERM=dumb cannot show a full-screen interface" }
        return nil
    }

    public func begin() throws {
        guard !active else { return }
        let environment = ProcessInfo.processInfo.environment
        if let reason = Self.unavailabilityReason(environment: environment, stdinIsTTY: isatty(0) == 1,
                                                  stdoutIsTTY: isatty(1) == 1) {
            throw LatheError.badInput(Self.unavailableMessage(reason))
        }
        isUnicode = TerminalLocale.activateUTF8()
        restorer.install()
        guard let newScreen = lathe_newterm() else {
            restorer.disarmAndUninstall()
            let term = environment["TERM"] ?? ""
            throw LatheError.badInput(Self.unavailableMessage("the terminal type '\(term)' is unknown to terminfo"))
        }
        screen = newScreen
        _ = set_term(newScreen)
        if options.ctrlCAsKey { raw() } else { cbreak() }
        noecho()
        nonl()
        let window = lathe_stdscr()
        keypad(window, true)
        intrflush(window, false)
        set_escdelay(25)
        if options.mouse {
            _ = mousemask(lathe_mouse_mask_wanted(), nil)
            mouseinterval(0)
        }
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        var defaultsUsable = true
        if has_colors(), !noColor {
            start_color()
            defaultsUsable = use_default_colors() == OK
        }
        colorDepth = ColorDepth.detect(environment: environment, hasColors: has_colors() && !noColor,
                                       colors: Int(lathe_colors()), canChangeColor: can_change_color())
        palette = CursesPalette(depth: colorDepth, defaultColorsUsable: defaultsUsable, theme: theme)
        // Redefined palette entries are reset by ncurses' endwin too ("oc"), but a crash
        // skips endwin, so the emergency sequence includes it whenever it may be needed.
        restorer.arm(resetSequence: TerminalRestorer.resetSequence(paletteChanged: colorDepth == .palette))
        active = true
        refreshSize()
        applyBackground()
    }

    public func end() {
        guard active else { return }
        active = false
        endwin()
        if let screen { delscreen(screen) }
        screen = nil
        restorer.disarmAndUninstall()
        previous = nil
        cursorShown = nil
    }

    public func setTheme(_ theme: Theme) {
        self.theme = theme
        palette?.setTheme(theme)
        previous = nil
        if active {
            applyBackground()
            clearok(lathe_curscr(), true)
        }
    }

    public func present(_ buffer: Buffer) {
        guard active, let palette else { return }
        for run in buffer.diff(from: previous) {
            for (i, cell) in run.cells.enumerated() where !cell.isContinuation {
                draw(cell, x: run.x + i, y: run.y, palette: palette)
            }
        }
        let window = lathe_stdscr()
        if let cursor = buffer.cursor, cursor.x >= 0, cursor.x < size.width, cursor.y >= 0, cursor.y < size.height {
            if cursorShown != true { curs_set(1); cursorShown = true }
            wmove(window, Int32(cursor.y), Int32(cursor.x))
        } else if cursorShown != false {
            curs_set(0)
            cursorShown = false
        }
        wnoutrefresh(window)
        doupdate()
        previous = buffer
    }

    public func nextEvent(timeout: Duration?) throws -> TerminalEvent? {
        guard active else { throw LatheError.internalFailure("the terminal is not active") }
        if let signal = restorer.takeSignal() { exitOnSignal(signal) }
        // ncurses may already hold input (the rest of an Alt sequence) or a pending resize.
        if let event = readEvent() { return event }
        let ready = Poller.revents([0, wakeSignal.fd, restorer.signalFD], timeout: timeout)
        if ready[2] != 0, let signal = restorer.takeSignal() { exitOnSignal(signal) }
        if ready[1] != 0 {
            wakeSignal.drain()
            return .wake
        }
        if ready[0] != 0 {
            if let event = readEvent() { return event }
            if ready[0] & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                throw LatheError.internalFailure("the terminal closed (no more input)")
            }
        }
        return nil
    }

    // MARK: - Internals

    private func exitOnSignal(_ signal: Int32) -> Never {
        end()
        // _exit, not exit: the engine's worker threads may still be running, and exit's
        // atexit handlers and static destructors tear down what they use (a SIGTERM during
        // the first evaluation ended in SEGV, 139, instead of 143). Flush stdio by hand first.
        fflush(nil)
        _exit(128 + signal)
    }

    private func refreshSize() {
        var rows: Int32 = 0, columns: Int32 = 0
        lathe_getmaxyx(lathe_stdscr(), &rows, &columns)
        size = TerminalSize(width: Int(columns), height: Int(rows))
    }

    private func applyBackground() {
        guard let palette else { return }
        lathe_set_background(palette.pair(for: .fg))
    }

    /// One key, mouse or resize event that ncurses can deliver without waiting.
    private func readEvent() -> TerminalEvent? {
        let window = lathe_stdscr()
        wtimeout(window, 0)
        // Skip codes that mean nothing to us rather than report silence while input waits.
        for _ in 0..<16 {
            var code: wint_t = 0
            let status = wget_wch(window, &code)
            if status == ERR { return nil }
            if status == KEY_CODE_YES {
                if let event = specialKey(Int32(bitPattern: code)) { return event }
                continue
            }
            if code == 27 { return .key(escapeOrAlt(window)) }
            if let key = CursesKeyDecoder.decode(character: code) { return .key(key) }
        }
        return nil
    }

    private func specialKey(_ code: Int32) -> TerminalEvent? {
        if code == lathe_key_resize() {
            refreshSize()
            previous = nil
            clearok(lathe_curscr(), true)
            return .resize(size)
        }
        if code == lathe_key_mouse() {
            var event = MEVENT()
            guard getmouse(&event) == OK else { return nil }
            return CursesKeyDecoder.decodeMouse(kind: lathe_mouse_kind(event.bstate),
                                                modifierBits: lathe_mouse_modifiers(event.bstate),
                                                x: event.x, y: event.y).map { .mouse($0) }
        }
        let name = keyname(code).map { String(cString: $0) }
        return CursesKeyDecoder.decode(keyCode: code, name: name).map { .key($0) }
    }

    /// Esc alone, or Alt+key when another key is already waiting (terminals send Alt-x
    /// as Esc x; ncurses has waited ESCDELAY for it).
    private func escapeOrAlt(_ window: UnsafeMutablePointer<WINDOW>?) -> KeyPress {
        var next: wint_t = 0
        let status = wget_wch(window, &next)
        if status == OK {
            if next != 27, var key = CursesKeyDecoder.decode(character: next) {
                key.modifiers.insert(.alt)
                return key
            }
            _ = unget_wch(wchar_t(bitPattern: next))
        } else if status == KEY_CODE_YES {
            let code = Int32(bitPattern: next)
            if code != lathe_key_resize(), code != lathe_key_mouse(),
               var key = CursesKeyDecoder.decode(keyCode: code, name: keyname(code).map { String(cString: $0) }) {
                key.modifiers.insert(.alt)
                return key
            }
            _ = ungetch(code)
        }
        return KeyPress(.escape)
    }

    private func draw(_ cell: Cell, x: Int, y: Int, palette: CursesPalette) {
        var characters = cell.grapheme.unicodeScalars.prefix(4).map { wchar_t(bitPattern: $0.value) }
        var padRight = false
        if let base = characters.first {
            let printable = isUnicode ? Int(lathe_wcwidth(base)) == cell.width : (base >= 0x20 && base < 0x7F)
            if !printable {
                // The terminal would place this differently from the buffer: show "?" instead.
                characters = [wchar_t(UInt8(ascii: "?"))]
                padRight = cell.width == 2
            }
        } else {
            characters = [wchar_t(UInt8(ascii: " "))]
        }
        characters.append(0)
        let attributes = palette.attributes(for: cell.style)
        let pair = palette.pair(for: cell.style)
        _ = lathe_put_cell(Int32(y), Int32(x), characters, attributes, pair)
        if padRight {
            let blank: [wchar_t] = [wchar_t(UInt8(ascii: " ")), 0]
            _ = lathe_put_cell(Int32(y), Int32(x + 1), blank, attributes, pair)
        }
    }
}
