extension Onnx_NodeProto {
    /// Makes `name` the node's bias input (input 2 of Conv, ConvTranspose and Gemm). A Gemm's
    /// beta scales C, and without a C it was free to be anything: it is set to 1 so onnxruntime
    /// adds the bias as Lathe's engine does.
    mutating func setBiasInput(_ name: String) {
        while input.count < 3 { input.append("") }
        input[2] = name
        guard opType == "Gemm" else { return }
        attribute.removeAll { $0.name == "beta" }
        var beta = Onnx_AttributeProto()
        beta.name = "beta"
        beta.type = .float
        beta.f = 1
        attribute.append(beta)
    }
}
