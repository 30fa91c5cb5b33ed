#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Keeps memory freed between batches in the process, by restarting `lathe` once with glibc's heap tunables:
/// no trimming (`glibc.malloc.trim_threshold` 4 GiB), and blocks up to 32 MB (glibc's most) taken from the heap
/// rather than mapped and unmapped each time (`glibc.malloc.mmap_threshold`). glibc reads tunables only when a
/// process starts, hence the restart; it costs one exec (about 10 ms) and happens before anything is read or
/// drawn.
///
/// Why: every activation, im2col buffer and cached value is a multi-megabyte allocation. By default glibc handed
/// freed ones back to the kernel, and the next batch faulted fresh pages in, zeroed on first touch; on a virtual
/// machine those faults can cost more than the arithmetic. ddddocr's detector at batch 1 took 9,800 page faults,
/// 2,900 with these settings (its recognizer 7,300 and 4,200), with peak memory within 1% of what it was on those
/// and on the FPN detector, PP-OCR's recognizer and the bundled MobileNet.
///
/// Not transparent huge pages (`glibc.malloc.hugetlb=1`), which this restart used to ask for as well. They halve
/// a quiet machine's fault cost, but on a virtual machine whose host has just taken back memory another process
/// freed, each 2 MB fault is slow: run right after an onnxruntime run, as `make bench` runs them, PP-OCR's
/// detector at batch 64 took 4.1–7.6 s with them and 1.5–2.1 s without, the FPN detector at batch 64 2.7–3.6 s
/// and 0.8–1.2 s.
///
/// Nothing changes where there is nothing to gain: a `GLIBC_TUNABLES` that already names both tunables (each one
/// the user set keeps its value), `LATHE_HEAP_TUNABLES=0`, or an exec that fails (the process goes on as it is).
enum HeapTunables {
    /// Never trim the heap, and map only blocks over 32 MB.
    static let settings = [("glibc.malloc.trim_threshold", "4294967296"), ("glibc.malloc.mmap_threshold", "33554432")]

    static func restartIfUseful() {
        #if os(Linux)
        // getenv rather than ProcessInfo: nothing of Foundation's starts before the exec.
        guard variable("LATHE_HEAP_TUNABLES") != "0" else { return }
        let existing = variable("GLIBC_TUNABLES") ?? ""
        let added = settings.filter { !existing.contains($0.0) }.map { "\($0.0)=\($0.1)" }
        guard !added.isEmpty else { return }
        let setting = ((existing.isEmpty ? [] : [existing]) + added).joined(separator: ":")
        guard setenv("GLIBC_TUNABLES", setting, 1) == 0 else { return }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed: go on as it is, and leave the environment the user gave
        // (a child process must not inherit a setting this process lacks).
        if existing.isEmpty { unsetenv("GLIBC_TUNABLES") } else { setenv("GLIBC_TUNABLES", existing, 1) }
        #endif
    }

    private static func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
