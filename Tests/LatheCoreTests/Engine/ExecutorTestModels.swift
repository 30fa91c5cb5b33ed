@testable import LatheCore

/// Builders for the small hand-made models of the executor's tests.
enum ExecutorTestModels {
    static func floats(_ values: [Float], _ shape: [Int]? = nil) -> Tensor {
        Tensor(shape: shape ?? [values.count], floats: values)
    }

    static func ints(_ values: [Int64], _ shape: [Int]? = nil) -> Tensor {
        Tensor(shape: shape ?? [values.count], ints: values)
    }

    static func model(_ nodes: [Node], initializers: [String: Tensor] = [:], input: String = "x",
                      dims: [Dimension]? = nil, inputs extraInputs: [String] = [],
                      outputs: [(String, DType?)] = [("y", .float32)], opset: Int = 17) -> Model {
        let inputs = ([input] + extraInputs).map { ValueInfo(name: $0, dtype: .float32, dims: $0 == input ? dims : nil) }
        let graph = Graph(nodes: nodes, initializers: initializers, inputs: inputs,
                          outputs: outputs.map { ValueInfo(name: $0.0, dtype: $0.1, dims: nil) })
        return Model(graph: graph, opset: opset, path: "test.onnx")
    }

    static func session(_ model: Model, sampleShape: [Int], output: String? = nil,
                        kernels: [String: Kernel] = ExecutorTestKernels.table) throws -> InferenceSession {
        try InferenceSession(model: model, sampleShape: sampleShape, output: output, kernels: kernels)
    }
}
