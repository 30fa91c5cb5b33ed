/// float16 exporters store weights at half precision and widen them with a
/// `Cast` to float; constant folding turns those into float32 initializers.
/// The deployed file still stores them at half precision, so the size model
/// must count them at the stored dtype.
enum StorageTypes {
    /// Outputs of `Cast` nodes that widen a float16/bfloat16 initializer to
    /// float32, with the dtype the file stores them at. Widening is exact, so the
    /// folded values are representable at that dtype.
    static func widenedInitializers(in graph: Graph) -> [String: DType] {
        var stored: [String: DType] = [:]
        for node in graph.nodes where node.opType == "Cast" && node.isDefaultDomain {
            guard let source = node.inputs.first, let tensor = graph.initializers[source],
                  tensor.dtype == .float16 || tensor.dtype == .bfloat16,
                  node.int("to") == DType.float32.onnxCode,
                  let output = node.outputs.first, !output.isEmpty else { continue }
            stored[output] = tensor.dtype
        }
        return stored
    }

    /// `tensors` with the widened ones tagged back to their stored dtype.
    static func tagging(_ tensors: [String: Tensor], with stored: [String: DType]) -> [String: Tensor] {
        var tagged = tensors
        for (name, dtype) in stored {
            tagged[name]?.dtype = dtype
        }
        return tagged
    }
}
