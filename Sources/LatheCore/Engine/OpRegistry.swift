/// Every op the engine can execute: the compute kernels (convolutions, GEMMs,
/// pooling, ...) merged with the tensor kernels (everything else).
public enum OpRegistry {
    public static let table: [String: Kernel] = ComputeKernels.table.merging(TensorKernels.table) { compute, _ in
        compute
    }

    /// Sorted op names, for "unsupported op" messages and `lathe inspect`.
    public static var supportedOps: [String] { table.keys.sorted() }
}
