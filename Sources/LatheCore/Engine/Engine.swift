import CBLAS

/// Process-wide engine settings.
public enum Engine {
    /// Keeps OpenBLAS single-threaded: the engine parallelises over batches
    /// itself (Evaluator), and BLAS threads on top of that only contend for the
    /// same cores. Idempotent; the first call does the work.
    public static func configureBLAS() {
        _ = blasConfigured
    }

    /// Everything the engine sets once per process: single-threaded BLAS and
    /// an allocator that keeps freed activation buffers for reuse
    /// (`KernelMemory.keepFreedBlocks`). Sessions and the evaluator call it.
    public static func prepare() {
        configureBLAS()
        _ = allocatorConfigured
    }

    private static let blasConfigured: Void = {
        openblas_set_num_threads(1)
    }()

    private static let allocatorConfigured: Void = {
        KernelMemory.keepFreedBlocks()
    }()
}
