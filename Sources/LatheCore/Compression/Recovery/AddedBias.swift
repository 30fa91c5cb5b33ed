/// The bias that bias correction gives a layer whose node adds none (a Conv or Gemm without
/// one, a MatMul; README "Recovery methods"): one float32 per output channel holding
/// (W − Ŵ)·E[x]. It travels with the compressed weights under its own name, which is no
/// initializer of the model: the engine adds it to the layer's output (a Conv's or Gemm's
/// bias input, added after a MatMul), the size model counts it, and export writes it, so the
/// uncompressed graph itself is never changed.
public enum AddedBias {
    /// The name the bias of `layer` (a layer name) has among the compressed tensors.
    public static func name(for layer: String) -> String { layer + "::lathe_bias" }

    /// Whether `layer` gets an added bias under `settings`.
    public static func applies(to layer: WeightLayer, settings: LayerSettings) -> Bool {
        settings.biasCorrection && settings.changesWeights && layer.biasName == nil
            && [.conv, .convTranspose, .gemm, .matMul].contains(layer.op)
    }

    /// Bytes it takes: float32 per output channel.
    public static func bytes(of layer: WeightLayer) -> Int { 4 * layer.channels }

    /// The output axis holding a layer's output channels when its node's output has `rank` axes:
    /// 1 for Conv / ConvTranspose, the last for Gemm and X·W, the second-to-last for W·X.
    static func outputAxis(of op: LayerOp, weightOnLeft: Bool, rank: Int) -> Int {
        switch op {
        case .conv, .convTranspose: return 1
        case .matMul where weightOnLeft: return rank - 2
        default: return rank - 1
        }
    }

    /// `output` with `bias` added along `axis` (float32, as onnxruntime's Add computes it).
    static func add(_ bias: Tensor, to output: Tensor, axis: Int) throws -> Tensor {
        guard output.isFloat, axis >= 0, axis < output.rank, output.shape[axis] == bias.count else {
            throw LatheError.internalFailure("an added bias of \(bias.count) values does not fit an output of "
                + "shape \(output.shape) on axis \(axis)")
        }
        let inner = output.shape[(axis + 1)...].reduce(1, *)
        let channels = bias.count
        let b = bias.floats
        var values = output.floats
        for index in values.indices { values[index] += b[(index / inner) % channels] }
        return Tensor(shape: output.shape, floats: values, dtype: output.dtype)
    }
}
