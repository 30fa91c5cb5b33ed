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
        let mmapOK = mallopt(mmapThreshold, 1 << 30)  // blocks up to 1 GiB come from the reusable heap
        let trimOK = mallopt(trimThreshold, Int32.max)  // and freed ones are not handed back at once
        return mmapOK == 1 && trimOK == 1
        #else
        return false
        #endif
    }
}
