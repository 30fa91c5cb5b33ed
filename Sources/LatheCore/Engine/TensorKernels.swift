/// Kernels for every supported op that is not compute-heavy: elementwise
/// math with numpy broadcasting, activations, softmax, shape and data
/// movement, reductions, casts and constants. The executor merges this table
/// with `ComputeKernels.table`; semantics follow ONNX opsets 7–21, chosen per
/// node by its `lathe.opset` attribute.
public enum TensorKernels {
    public static let table: [String: Kernel] = [
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
        // Quantization
        "QuantizeLinear": LinearQuantization.quantizeLinear,
        "DequantizeLinear": LinearQuantization.dequantizeLinear,
        "DynamicQuantizeLinear": LinearQuantization.dynamicQuantizeLinear,
        "Round": RoundKernel.round,
    ]
}
