import CNcursesw
import Glibc

/// A wake-up file descriptor: any thread calls `wake()`, the UI thread polls `fd`
/// together with stdin, so it sleeps without busy-waiting until input or engine
/// results arrive. A non-blocking pipe: writes never block (a full pipe already
/// means "awake"), and `drain()` empties it.
public final class WakeSignal: Sendable {
    /// Poll this for readability.
    public let fd: Int32
    private let writeEnd: Int32

    public init() {
        var ends: [Int32] = [-1, -1]
        // A process out of descriptors cannot run the UI at all; fail loudly and early.
        guard lathe_pipe(&ends) == 0 else {
            fatalError("lathe: cannot create the UI wake-up pipe (errno \(errno))")
        }
        fd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(fd)
        close(writeEnd)
    }

    /// Wakes the UI thread. Async-signal-safe and thread-safe.
    public func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Consumes pending wake-ups; true when there were any.
    @discardableResult
    public func drain() -> Bool {
        var scratch = [UInt8](repeating: 0, count: 64)
        var any = false
        while true {
            let n = read(fd, &scratch, scratch.count)
            if n > 0 { any = true; continue }
            if n < 0, errno == EINTR { continue }
            return any
        }
    }

    /// Blocks up to `timeout` (nil: forever) until woken; true when woken (not drained).
    public func wait(timeout: Duration?) -> Bool {
        Poller.wait([fd], timeout: timeout).first ?? false
    }
}

/// poll(2) over a few descriptors.
enum Poller {
    /// Readiness (readable, hung up or in error) per descriptor; all false on timeout or
    /// when a signal interrupted the wait (callers re-check their state and loop).
    static func wait(_ fds: [Int32], timeout: Duration?) -> [Bool] {
        revents(fds, timeout: timeout).map { $0 != 0 }
    }

    /// The returned events (POLLIN, POLLHUP, POLLERR, POLLNVAL) per descriptor; all 0 on
    /// timeout or interruption. Negative descriptors are ignored.
    static func revents(_ fds: [Int32], timeout: Duration?) -> [Int16] {
        var entries = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let n = poll(&entries, nfds_t(entries.count), milliseconds(timeout))
        guard n > 0 else { return Array(repeating: 0, count: fds.count) }
        return entries.map { $0.revents & Int16(POLLIN | POLLHUP | POLLERR | POLLNVAL) }
    }

    /// poll's timeout: -1 for none; sub-millisecond remainders round up so a deadline is
    /// never polled as 0 repeatedly.
    static func milliseconds(_ timeout: Duration?) -> Int32 {
        guard let timeout else { return -1 }
        let (seconds, attoseconds) = timeout.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let perMilli: Int64 = 1_000_000_000_000_000
        let total = seconds.multipliedReportingOverflow(by: 1000)
        guard !total.overflow else { return Int32.max }
        return Int32(clamping: total.partialValue + attoseconds / perMilli + (attoseconds % perMilli > 0 ? 1 : 0))
    }
}
