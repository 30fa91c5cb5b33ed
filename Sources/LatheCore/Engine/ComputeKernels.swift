/// Kernels for the compute-heavy ops (convolutions, GEMMs, pooling, resizing,
/// normalisation), layout NCHW. The executor merges this table with
/// `TensorKernels.table`. Each kernel runs single-threaded: the executor
/// parallelises over batches and keeps OpenBLAS to one thread.
public enum ComputeKernels {
    public static let table: [String: Kernel] = [
        "Conv": ConvKernel.run,
        "ConvTranspose": ConvTransposeKernel.run,
        "Gemm": GemmKernel.run,
        "MatMul": MatMulKernel.run,
        "MaxPool": PoolKernels.maxPool,
        "AveragePool": PoolKernels.averagePool,
        "GlobalAveragePool": PoolKernels.globalAveragePool,
        "GlobalMaxPool": PoolKernels.globalMaxPool,
        "BatchNormalization": NormalizationKernels.batchNormalization,
        "LayerNormalization": NormalizationKernels.layerNormalization,
        "Resize": ResizeKernel.run,
        "Pad": PadKernel.run,
        "ConvInteger": IntegerConv.convInteger,
        "QLinearConv": IntegerConv.qLinearConv,
        "MatMulInteger": IntegerMatMul.matMulInteger,
        "QLinearMatMul": IntegerMatMul.qLinearMatMul,
    ]
}
