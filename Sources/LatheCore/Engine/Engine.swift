import CBLAS

/// Process-wide engine settings.
public enum Engine {
    /// Keeps OpenBLAS single-threaded: the engine parallelises over batches
    /// itself (Evaluator), and BLAS threads on top of that only contend for the
    /// same cores. Idempotent; the first call does the work.
    public static func configureBLAS() {
        _ = blasConfigured
    }

    private static let blasConfigured: Void = {
        openblas_set_num_threads(1)
    }()
}
