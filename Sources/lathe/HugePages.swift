#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Large tensors on transparent huge pages, by restarting `lathe` once with glibc's
/// `glibc.malloc.hugetlb=1` tunable when the kernel gives huge pages only on request
/// (`/sys/kernel/mm/transparent_hugepage/enabled` = `madvise`, Debian's default).
///
/// Why: every activation, im2col buffer and cached value is a fresh multi-megabyte
/// allocation, and the kernel zeroes each new 4 KB page on its first touch. On a virtual
/// machine those page faults cost more than the arithmetic of memory-bound layers: on the
/// FPN detector at batch 64 (1.3 GB peak) they were 1 s of a 2.2 s run, and the live engine's
/// cache-filling pass paid them for every value it keeps. With the tunable, glibc asks for
/// huge pages on the memory it takes from the kernel (heap and mapped blocks alike), one fault
/// per 2 MB (1.6 s; cache-filling pass 0.40 s -> 0.29 s on the bundled sample). glibc reads tunables only when a process starts, hence the
/// restart; it costs one exec (about 10 ms) and happens before anything is read or drawn.
///
/// The same restart keeps memory freed between batches in the heap: no trimming, and blocks up to 32 MB (glibc's
/// most) taken from the heap rather than mapped and unmapped each time. A batch then reuses pages the one before
/// faulted in; by default glibc handed them back and the next batch faulted them in afresh. ddddocr's detector at
/// batch 1 took 9,800 page faults, 2,900 with these settings (its recognizer 7,300 and 4,200), with peak memory
/// within 1% of what it was on those and on the FPN detector, PP-OCR's recognizer and the bundled MobileNet.
/// Fresh pages are what a busy virtual machine makes slow. A setting the user gave wins.
///
/// Nothing changes where there is nothing to gain: other kernel modes (`always` already uses
/// huge pages, `never` refuses them), a tunable the user set, `LATHE_HUGE_PAGES=0`, or an exec
/// that fails (the process goes on as it is).
enum HugePages {
    static let tunable = "glibc.malloc.hugetlb"
    /// Set with it (see above): never trim the heap, and map only blocks over 32 MB.
    static let companions = [("glibc.malloc.trim_threshold", "4294967296"), ("glibc.malloc.mmap_threshold", "33554432")]

    static func restartWithHugePagesIfUseful() {
        #if os(Linux)
        // getenv rather than ProcessInfo: nothing of Foundation's starts before the exec.
        guard variable("LATHE_HUGE_PAGES") != "0" else { return }
        let existing = variable("GLIBC_TUNABLES") ?? ""
        guard !existing.contains(tunable), kernelGivesHugePagesOnRequestOnly() else { return }
        let added = ["\(tunable)=1"] + companions.filter { !existing.contains($0.0) }.map { "\($0.0)=\($0.1)" }
        let setting = ((existing.isEmpty ? [] : [existing]) + added).joined(separator: ":")
        guard setenv("GLIBC_TUNABLES", setting, 1) == 0 else { return }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed: go on without huge pages, and leave the environment
        // the user gave (a child process must not inherit a setting this process lacks).
        if existing.isEmpty { unsetenv("GLIBC_TUNABLES") } else { setenv("GLIBC_TUNABLES", existing, 1) }
        #endif
    }

    private static func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// The kernel's mode is the bracketed word: `always [madvise] never`.
    private static func kernelGivesHugePagesOnRequestOnly() -> Bool {
        guard let mode = try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)
        else { return false }
        return mode.contains("[madvise]")
    }
}
