import CNcursesw
import Foundation
import Glibc

/// Swift side of the signal and crash handling in shim.h (see the design note there).
/// Every `lathe_*` restore/signal function is called from this file only, because the
/// C state behind them is per object file.
final class TerminalRestorer {
    private let pipeRead: Int32
    private let pipeWrite: Int32

    init() {
        var ends: [Int32] = [-1, -1]
        if lathe_pipe(&ends) != 0 { ends = [-1, -1] }
        pipeRead = ends[0]
        pipeWrite = ends[1]
    }

    deinit {
        if pipeRead >= 0 { close(pipeRead) }
        if pipeWrite >= 0 { close(pipeWrite) }
    }

    /// Polled by the UI thread: readable when SIGINT/SIGTERM/SIGHUP arrived.
    var signalFD: Int32 { pipeRead }

    /// Saves the terminal modes and installs the handlers; call before curses starts.
    func install() {
        lathe_save_termios()
        lathe_install_signal_handlers(pipeWrite)
    }

    /// From now on an emergency (crash, second Ctrl-C, exit without `end`) writes `bytes`
    /// and puts the saved terminal modes back.
    func arm(resetSequence bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { lathe_arm_restore($0.baseAddress, Int32($0.count)) }
        }
    }

    /// After a normal endwin.
    func disarmAndUninstall() {
        lathe_disarm_restore()
        lathe_uninstall_signal_handlers()
    }

    /// The interrupting signal's number, if one arrived.
    func takeSignal() -> Int32? {
        guard pipeRead >= 0 else { return nil }
        var byte: UInt8 = 0
        return read(pipeRead, &byte, 1) == 1 ? Int32(byte) : nil
    }

    /// The bytes that take a terminal out of full-screen mode, from terminfo: normal
    /// attributes and colours, mouse reporting off, visible cursor, keypad off, main screen.
    static func resetSequence(paletteChanged: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        func add(_ capability: String) {
            guard let value = lathe_tigetstr(capability) else { return }
            bytes += stripPadding(String(cString: value)).utf8
        }
        add("sgr0")
        add("op")
        if paletteChanged { add("oc") }
        if let mouse = lathe_tigetstr("kmous"), String(cString: mouse).hasPrefix("\u{1B}[") {
            bytes += "\u{1B}[?1006;1003;1002;1000l".utf8
        }
        add("cnorm")
        add("rmkx")
        add("rmcup")
        return bytes
    }

    /// Removes terminfo delay specifications ("$<5>"), which are not meant for the terminal.
    static func stripPadding(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let start = rest.range(of: "$<") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: ">") else { rest = rest[start.lowerBound...]; break }
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }
}
