import CBLAS

/// Process-wide engine settings.
public enum Engine {
    /// Everything the engine sets once per process: single-threaded BLAS (the
    /// engine runs batches on several threads itself, or splits one batch's
    /// products through `OpParallelism`; BLAS threads on top of that would
    /// only contend for the same cores) and an allocator that keeps
    /// freed activation buffers for reuse (`KernelMemory.keepFreedBlocks`).
    /// Sessions and evaluators call it; idempotent, the first call does the work.
    public static func prepare() {
        _ = configured
    }

    private static let configured: Void = {
        openblas_set_num_threads(1)
        KernelMemory.keepFreedBlocks()
    }()
}
