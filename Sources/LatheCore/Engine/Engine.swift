import CLatheBLAS

/// Process-wide engine settings.
public enum Engine {
    /// Everything the engine needs once per process: OpenBLAS, opened at start-up single-threaded
    /// and with the widest kernels this CPU runs (`CLatheBLAS`; the engine runs batches on several
    /// threads itself, or splits one batch's products through `OpParallelism`, and BLAS threads on
    /// top of that would only contend for the same cores), and an allocator that keeps freed
    /// activation buffers for reuse (`KernelMemory.keepFreedBlocks`). Sessions and evaluators call
    /// it; idempotent, the first call does the work.
    /// - Throws: `LatheError.internalFailure` when OpenBLAS could not be opened, saying why.
    public static func prepare() throws {
        _ = configured
        if let problem = lathe_blas_load_error() { throw LatheError.internalFailure(String(cString: problem)) }
    }

    /// The kernel set OpenBLAS runs ("SkylakeX", "Haswell", ...), for reports.
    public static var blasKernels: String { String(cString: lathe_blas_core()) }

    /// The threads OpenBLAS runs one call on (1; 0 when it is not loaded).
    public static var blasThreads: Int { Int(lathe_blas_threads()) }

    private static let configured: Void = {
        KernelMemory.keepFreedBlocks()
    }()
}
