/// One op's implementation: takes the node (attributes) and its inputs in
/// order (nil for an omitted optional input) and returns its outputs in order.
/// Kernels throw `LatheError.badInput` naming the node for inputs they cannot
/// handle (wrong ranks, unsupported attribute values). BLAS runs on one
/// thread; the evaluator parallelises over batches, and a heavy kernel splits
/// its work only through `OpParallelism` (when there are spare threads).
public typealias Kernel = @Sendable (_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor]

/// Every op the engine can execute, in one table: the only place an op name
/// meets its kernel. Layout NCHW; semantics follow ONNX opsets 6–28
/// (`supportedOpsets`, OpsetSupport.swift).
///
/// Where the ONNX semantics of an op changed between opsets (an attribute
/// that became an input, Softmax's axis), the entry lists each form by the
/// opset it starts at, as tinygrad's versioned op table does. A session picks
/// the form for its model's opset once, at load (`kernels(opset:)`), so
/// kernels never look at the opset while running.
///
/// Adding an op is one kernel and one entry:
/// 1. Write the kernel (`Kernel`, or a `static func` returning one per form)
///    in the family folder under `Engine/Ops/` that its name suggests (a new
///    folder for a new family, e.g. `Recurrent/` for LSTM, GRU, RNN), reading
///    its node through the helpers in `NodeInputs.swift`.
/// 2. Add `"Name": .any(kernel)`, or `.since([1: old, 13: new])` for an op
///    whose semantics changed, under its family below.
/// 3. Record onnxruntime cases in `Tests/LatheCoreTests/Fixtures` (tensorops
///    or kernels): a test checks that every entry here has some.
///
/// Ops with subgraphs (`If`, `Loop`, `Scan`) run other ops: their entries
/// are makers given the rest of the table (`.withSubgraphs`), so a body runs
/// with the same kernels, for the same opset, as the graph around it.
public enum OpRegistry {
    /// The forms of one op.
    enum Forms: Sendable {
        /// One kernel for every opset.
        case any(Kernel)
        /// Kernels by the first opset whose semantics they implement.
        case since([Int: Kernel])
        /// An op running subgraphs, by first opset: makers of its kernel from the kernels its subgraphs use.
        case withSubgraphs([Int: SubgraphKernelMaker])
    }

    /// The newest default-domain opset the kernels implement; nodes built
    /// without a model (tests) get its semantics.
    public static let newestOpset = 28

    static let table: [String: Forms] = [
        // Activations/
        "Relu": .any(Activations.relu),
        "LeakyRelu": .any(Activations.leakyRelu),
        "PRelu": .any(Activations.prelu),
        "Clip": .since([1: Activations.clip(inputForm: false), 11: Activations.clip(inputForm: true)]),
        "Sigmoid": .any(Activations.sigmoid),
        "HardSigmoid": .any(Activations.hardSigmoid),
        "HardSwish": .any(Activations.hardSwish),
        "Tanh": .any(Activations.tanh),
        "Gelu": .any(Activations.gelu),
        "Softplus": .any(Activations.softplus),
        "Softsign": .any(Activations.softsign),
        "Elu": .any(Activations.elu),
        "Selu": .any(Activations.selu),
        "Celu": .any(Activations.celu),
        "ThresholdedRelu": .any(Activations.thresholdedRelu),
        "Mish": .any(Activations.mish),
        "Softmax": .since([1: Softmax.softmax(perAxis: false), 13: Softmax.softmax(perAxis: true)]),
        "LogSoftmax": .since([1: Softmax.logSoftmax(perAxis: false), 13: Softmax.logSoftmax(perAxis: true)]),
        "Hardmax": .since([1: Hardmax.kernel(perAxis: false), 13: Hardmax.kernel(perAxis: true)]),
        // ControlFlow/
        "If": .withSubgraphs([1: ControlFlow.ifKernel]),
        "Loop": .withSubgraphs([1: ControlFlow.loopKernel]),
        "Scan": .withSubgraphs([8: ControlFlow.scan8Kernel, 9: ControlFlow.scanKernel]),
        // Constants/
        "Constant": .any(Generators.constant),
        "ConstantOfShape": .any(Generators.constantOfShape),
        "Range": .any(Generators.range),
        "OneHot": .any(OneHot.oneHot),
        // Convolution/
        "Conv": .any(ConvKernel.run),
        "ConvTranspose": .any(ConvTransposeKernel.run),
        // Elementwise/: arithmetic with numpy broadcasting
        "Add": .any(Arithmetic.add),
        "Sub": .any(Arithmetic.sub),
        "Mul": .any(Arithmetic.mul),
        "Div": .any(Arithmetic.div),
        "Pow": .any(Arithmetic.pow),
        "Min": .any(Arithmetic.min),
        "Max": .any(Arithmetic.max),
        "Sum": .any(Arithmetic.sum),
        "Mean": .any(Arithmetic.mean),
        // Elementwise/: unary math
        "Sqrt": .any(UnaryMath.sqrt),
        "Exp": .any(UnaryMath.exp),
        "Log": .any(UnaryMath.log),
        "Neg": .any(UnaryMath.neg),
        "Abs": .any(UnaryMath.abs),
        "Floor": .any(UnaryMath.floor),
        "Round": .any(RoundKernel.round),
        "Ceil": .any(UnaryMath.ceil),
        "Reciprocal": .any(UnaryMath.reciprocal),
        "Erf": .any(UnaryMath.erf),
        "Sin": .any(UnaryMath.sin),
        "Cos": .any(UnaryMath.cos),
        "Sign": .any(UnaryMath.sign),
        "Mod": .any(Mod.mod),
        "IsNaN": .any(FloatClasses.isNaN),
        "IsInf": .any(FloatClasses.isInf),
        // Elementwise/: comparison and logic
        "Equal": .any(Comparison.equal),
        "Less": .any(Comparison.less),
        "Greater": .any(Comparison.greater),
        "LessOrEqual": .any(Comparison.lessOrEqual),
        "GreaterOrEqual": .any(Comparison.greaterOrEqual),
        "And": .any(Comparison.and),
        "Or": .any(Comparison.or),
        "Xor": .any(Comparison.xor),
        "Not": .any(Comparison.not),
        "Where": .any(Comparison.where),
        // Elementwise/: types and pass-through
        "Cast": .any(Cast.cast),
        "CastLike": .any(Cast.castLike),
        "Identity": .any(PassThrough.identity),
        "Dropout": .since([1: PassThrough.dropout(boolMask: false), 10: PassThrough.dropout(boolMask: true)]),
        // LinearAlgebra/
        "Gemm": .any(GemmKernel.run),
        "MatMul": .any(MatMulKernel.run),
        // Quantization/
        "QuantizeLinear": .any(LinearQuantization.quantizeLinear),
        "DequantizeLinear": .any(LinearQuantization.dequantizeLinear),
        "DynamicQuantizeLinear": .any(LinearQuantization.dynamicQuantizeLinear),
        "MatMulInteger": .any(IntegerMatMul.matMulInteger),
        "QLinearMatMul": .any(IntegerMatMul.qLinearMatMul),
        "ConvInteger": .any(IntegerConv.convInteger),
        "QLinearConv": .any(IntegerConv.qLinearConv),
        // Recurrent/
        "LSTM": .any(LSTMKernel.run),
        "GRU": .any(GRUKernel.run),
        "RNN": .any(RNNKernel.run),
        // Normalization/
        "BatchNormalization": .any(NormalizationKernels.batchNormalization),
        "LayerNormalization": .any(NormalizationKernels.layerNormalization),
        "InstanceNormalization": .any(InstanceNormalization.kernel),
        // Pooling/
        "MaxPool": .any(PoolKernels.maxPool),
        "AveragePool": .any(PoolKernels.averagePool),
        "GlobalAveragePool": .any(PoolKernels.globalAveragePool),
        "GlobalMaxPool": .any(PoolKernels.globalMaxPool),
        // Reduction/
        "ReduceSum": .since([1: Reductions.reduce(.sum, inputForm: false), 13: Reductions.reduce(.sum, inputForm: true)]),
        "ReduceMean": .since([1: Reductions.reduce(.mean, inputForm: false), 18: Reductions.reduce(.mean, inputForm: true)]),
        "ReduceMax": .since([1: Reductions.reduce(.max, inputForm: false), 18: Reductions.reduce(.max, inputForm: true)]),
        "ReduceMin": .since([1: Reductions.reduce(.min, inputForm: false), 18: Reductions.reduce(.min, inputForm: true)]),
        "ReduceProd": .since([1: Reductions.reduce(.prod, inputForm: false), 18: Reductions.reduce(.prod, inputForm: true)]),
        "ReduceL1": .since([1: Reductions.reduce(.l1, inputForm: false), 18: Reductions.reduce(.l1, inputForm: true)]),
        "ReduceL2": .since([1: Reductions.reduce(.l2, inputForm: false), 18: Reductions.reduce(.l2, inputForm: true)]),
        "ReduceSumSquare": .since([1: Reductions.reduce(.sumSquare, inputForm: false),
                                   18: Reductions.reduce(.sumSquare, inputForm: true)]),
        "ReduceLogSum": .since([1: Reductions.reduce(.logSum, inputForm: false),
                                18: Reductions.reduce(.logSum, inputForm: true)]),
        "ReduceLogSumExp": .since([1: Reductions.reduce(.logSumExp, inputForm: false),
                                   18: Reductions.reduce(.logSumExp, inputForm: true)]),
        "ArgMax": .any(Reductions.argMax),
        "ArgMin": .any(Reductions.argMin),
        "TopK": .since([1: TopK.kernel(inputForm: false), 10: TopK.kernel(inputForm: true)]),
        "CumSum": .any(CumSum.cumSum),
        // Resize/
        "Resize": .since([10: ResizeKernel.kernel(opset10: true), 11: ResizeKernel.kernel(opset10: false)]),
        // Shape/: shape and data movement
        "Flatten": .any(ShapeOps.flatten),
        "Reshape": .any(ShapeOps.reshape),
        "Transpose": .any(ShapeOps.transpose),
        "Squeeze": .since([1: ShapeOps.squeeze(inputForm: false), 13: ShapeOps.squeeze(inputForm: true)]),
        "Unsqueeze": .since([1: ShapeOps.unsqueeze(inputForm: false), 13: ShapeOps.unsqueeze(inputForm: true)]),
        "Expand": .any(ShapeOps.expand),
        "Shape": .any(ShapeOps.shape),
        "Size": .any(ShapeOps.size),
        "Concat": .any(ConcatSplit.concat),
        "Split": .since([1: ConcatSplit.split(inputForm: false), 13: ConcatSplit.split(inputForm: true)]),
        "Slice": .since([1: Slice.slice(inputForm: false), 10: Slice.slice(inputForm: true)]),
        "Gather": .any(Gather.gather),
        "GatherElements": .any(ElementIndexing.gatherElements),
        "ScatterElements": .any(ElementIndexing.scatterElements),
        "Scatter": .any(ElementIndexing.scatterElements),
        "Tile": .any(Tile.tile),
        "Pad": .since([1: PadKernel.kernel(inputForm: false), 11: PadKernel.kernel(inputForm: true)]),
        "DepthToSpace": .any(DepthSpace.depthToSpace),
        "SpaceToDepth": .any(DepthSpace.spaceToDepth),
        "Trilu": .any(Trilu.trilu),
        "GatherND": .any(GatherND.gatherND),
        "ScatterND": .any(ScatterND.scatterND),
    ]

    /// The kernel of `op` for a model of default-domain `opset`: the form with
    /// the latest start at or before `opset` (the earliest form for an older
    /// opset); nil for an op Lathe does not support.
    public static func kernel(_ op: String, opset: Int = newestOpset) -> Kernel? {
        switch table[op] {
        case .none: return nil
        case .any(let kernel): return kernel
        case .since(let forms): return form(forms, opset: opset)
        case .withSubgraphs(let makers):
            return form(makers, opset: opset)(SubgraphKernels(plain: plainKernels(opset: opset), opset: opset,
                                                               perStep: perStepKernels))
        }
    }

    /// Ops whose kernel keeps state for the one node it runs: a compiled graph makes one per step, in place of the
    /// op's `kernels` entry. Conv remembers its last call's setup (`ConvSetup`), which at batch 1 cost as much as
    /// a small convolution's arithmetic; binary arithmetic and MatMul what they work out from their operands' shapes
    /// (`ShapePairMemo`); ConvInteger and MatMulInteger their weights' bound (`IntegerProductsInFloat`). Each keeps it
    /// in a `LastValueMemo`.
    static let perStepKernels: [String: @Sendable () -> Kernel] = [
        "Conv": ConvKernel.remembering,
        "Add": { Arithmetic.add(planMemo: ShapePairMemo()) },
        "Sub": { Arithmetic.sub(planMemo: ShapePairMemo()) },
        "Mul": { Arithmetic.mul(planMemo: ShapePairMemo()) },
        "Div": { Arithmetic.div(planMemo: ShapePairMemo()) },
        "MatMul": { MatMulKernel.kernel(geometryMemo: ShapePairMemo()) },
        "ConvInteger": IntegerConv.remembering,
        "MatMulInteger": IntegerMatMul.remembering,
    ]

    /// Every op's kernel for a model of default-domain `opset`, resolved once
    /// per session so passes and compiled graphs run the model's semantics.
    public static func kernels(opset: Int) -> [String: Kernel] {
        addingSubgraphOps(to: plainKernels(opset: opset), opset: opset, perStep: perStepKernels)
    }

    /// `kernels` plus the ops running subgraphs, whose subgraphs run with `kernels` (and these ops, for
    /// nested control flow), each body step with its own kernel from `perStep` where it has one. Tests use
    /// it to give a hand-made table control flow.
    static func addingSubgraphOps(to kernels: [String: Kernel], opset: Int,
                                  perStep: [String: @Sendable () -> Kernel] = [:]) -> [String: Kernel] {
        var result = kernels
        let bodies = SubgraphKernels(plain: kernels, opset: opset, perStep: perStep)
        for (op, forms) in table {
            if case .withSubgraphs(let makers) = forms { result[op] = form(makers, opset: opset)(bodies) }
        }
        return result
    }

    /// Every op's kernel except those running subgraphs.
    private static func plainKernels(opset: Int) -> [String: Kernel] {
        var result: [String: Kernel] = [:]
        for (op, forms) in table {
            switch forms {
            case .any(let kernel): result[op] = kernel
            case .since(let kernels): result[op] = form(kernels, opset: opset)
            case .withSubgraphs: break
            }
        }
        return result
    }

    /// The form with the latest start at or before `opset`, else the earliest.
    private static func form<Form>(_ forms: [Int: Form], opset: Int) -> Form {
        let starts = forms.keys.sorted()
        let chosen = starts.last { $0 <= opset } ?? starts[0]
        // Every table entry lists at least one form, so `chosen` is one of its keys.
        return forms[chosen]!
    }

    /// Sorted op names, for "unsupported op" messages and `lathe inspect`.
    public static var supportedOps: [String] { table.keys.sorted() }
}
