/// Kernels for the compute-heavy ops (convolutions, GEMMs, pooling, resizing,
/// normalisation). Filled in by the compute-kernels work; the executor merges
/// this table with `TensorKernels.table`.
public enum ComputeKernels {
    public static let table: [String: Kernel] = [:]
}
