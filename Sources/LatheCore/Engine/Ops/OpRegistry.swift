/// One op's implementation: takes the node (attributes) and its inputs in
/// order (nil for an omitted optional input) and returns its outputs in order.
/// Kernels throw `LatheError.badInput` naming the node for inputs they cannot
/// handle (wrong ranks, unsupported attribute values). Each kernel runs
/// single-threaded: the evaluator parallelises over batches and keeps BLAS to
/// one thread.
public typealias Kernel = @Sendable (_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor]

/// Every op the engine can execute, in one table: the only place an op name
/// meets its kernel. Layout NCHW; semantics follow ONNX opsets 7–21.
///
/// Adding an op: write its kernel in the family folder under `Engine/Ops/`
/// (a new file, or beside its relatives), add one entry below, and add
/// onnxruntime fixture cases (`Tests/LatheCoreTests/Fixtures`): the tests
/// check that every entry here is covered by some fixture.
public enum OpRegistry {
    public static let table: [String: Kernel] = [
        // Convolution
        "Conv": ConvKernel.run,
        "ConvTranspose": ConvTransposeKernel.run,
        // Linear algebra
        "Gemm": GemmKernel.run,
        "MatMul": MatMulKernel.run,
        // Pooling
        "MaxPool": PoolKernels.maxPool,
        "AveragePool": PoolKernels.averagePool,
        "GlobalAveragePool": PoolKernels.globalAveragePool,
        "GlobalMaxPool": PoolKernels.globalMaxPool,
        // Normalization
        "BatchNormalization": NormalizationKernels.batchNormalization,
        "LayerNormalization": NormalizationKernels.layerNormalization,
        // Resize
        "Resize": ResizeKernel.run,
        // Padding (Shape)
        "Pad": PadKernel.run,
        // Arithmetic
        "Add": Arithmetic.add,
        "Sub": Arithmetic.sub,
        "Mul": Arithmetic.mul,
        "Div": Arithmetic.div,
        "Pow": Arithmetic.pow,
        "Min": Arithmetic.min,
        "Max": Arithmetic.max,
        "Sum": Arithmetic.sum,
        "Mean": Arithmetic.mean,
        // Elementwise math
        "Sqrt": UnaryMath.sqrt,
        "Exp": UnaryMath.exp,
        "Log": UnaryMath.log,
        "Neg": UnaryMath.neg,
        "Abs": UnaryMath.abs,
        "Floor": UnaryMath.floor,
        "Ceil": UnaryMath.ceil,
        "Reciprocal": UnaryMath.reciprocal,
        "Erf": UnaryMath.erf,
        // Activations
        "Relu": Activations.relu,
        "LeakyRelu": Activations.leakyRelu,
        "PRelu": Activations.prelu,
        "Clip": Activations.clip,
        "Sigmoid": Activations.sigmoid,
        "HardSigmoid": Activations.hardSigmoid,
        "HardSwish": Activations.hardSwish,
        "Tanh": Activations.tanh,
        "Gelu": Activations.gelu,
        "Softmax": Softmax.softmax,
        "LogSoftmax": Softmax.logSoftmax,
        // Comparison and logic
        "Equal": Comparison.equal,
        "Less": Comparison.less,
        "Greater": Comparison.greater,
        "LessOrEqual": Comparison.lessOrEqual,
        "GreaterOrEqual": Comparison.greaterOrEqual,
        "And": Comparison.and,
        "Or": Comparison.or,
        "Xor": Comparison.xor,
        "Not": Comparison.not,
        "Where": Comparison.where,
        // Shape and data movement
        "Flatten": ShapeOps.flatten,
        "Reshape": ShapeOps.reshape,
        "Transpose": ShapeOps.transpose,
        "Squeeze": ShapeOps.squeeze,
        "Unsqueeze": ShapeOps.unsqueeze,
        "Expand": ShapeOps.expand,
        "Shape": ShapeOps.shape,
        "Concat": ConcatSplit.concat,
        "Split": ConcatSplit.split,
        "Slice": Slice.slice,
        "Gather": Gather.gather,
        // Reductions
        "ReduceSum": Reductions.reduceSum,
        "ReduceMean": Reductions.reduceMean,
        "ReduceMax": Reductions.reduceMax,
        "ReduceMin": Reductions.reduceMin,
        "ArgMax": Reductions.argMax,
        "ArgMin": Reductions.argMin,
        // Types, constants, pass-through
        "Cast": Cast.cast,
        "CastLike": Cast.castLike,
        "Constant": Generators.constant,
        "ConstantOfShape": Generators.constantOfShape,
        "Range": Generators.range,
        "Identity": PassThrough.identity,
        "Dropout": PassThrough.dropout,
    ]

    /// Sorted op names, for "unsupported op" messages and `lathe inspect`.
    public static var supportedOps: [String] { table.keys.sorted() }
}
