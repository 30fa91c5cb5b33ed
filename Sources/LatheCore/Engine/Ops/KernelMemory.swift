#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator setting that matters as much as the kernels
/// themselves: every kernel returns a freshly allocated output, and glibc
/// serves blocks above its mmap threshold (at most 32 MB by default) with
/// new zero pages each time. On virtual machines a page fault costs several
/// microseconds, so a 51 MB activation took ~70 ms to allocate and first
/// touch against ~2.5 ms when the heap keeps freed blocks for reuse.
///
/// `keepFreedBlocks()` raises glibc's mmap and trim thresholds so large
/// freed blocks stay in the heap. Call it once at engine start (the executor
/// does, beside configuring BLAS). Elsewhere than glibc it does nothing.
///
/// It also keeps one heap (arena) for all threads. With one per thread, as
/// glibc does by default, a block freed by one worker is reusable only by
/// the threads of its arena, and since freed blocks are never handed back,
/// every arena kept its own high-water mark: `lathe bench` with a 512 MB
/// activation cache peaked at 934 MB resident (the engine without a cache:
/// 108 MB), and at 612 MB with one arena. Allocations are per kernel output,
/// few enough that sharing one lock costs nothing measurable.
public enum KernelMemory {
    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32

    /// Returns whether the allocator accepted the settings.
    @discardableResult
    public static func keepFreedBlocks() -> Bool {
        #if canImport(Glibc)
        // Looked up at run time: mallopt is glibc-only and not in Swift's Glibc module.
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let mmapThreshold: Int32 = -3, trimThreshold: Int32 = -1  // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD (malloc.h)
        let arenaMax: Int32 = -8  // M_ARENA_MAX
        let mmapOK = mallopt(mmapThreshold, 1 << 30)  // blocks up to 1 GiB come from the reusable heap
        let trimOK = mallopt(trimThreshold, Int32.max)  // and freed ones are not handed back at once
        let arenaOK = mallopt(arenaMax, 1)  // to any thread
        return mmapOK == 1 && trimOK == 1 && arenaOK == 1
        #else
        return false
        #endif
    }
}
