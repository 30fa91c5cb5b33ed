@testable import LatheCore

/// Small layers with the axes DESIGN.md gives each op.
enum TestLayers {
    static func conv(_ name: String, _ shape: [Int], groups: Int = 1, macs: Int = 0) -> WeightLayer {
        WeightLayer(name: name, op: .conv, nodeName: "", shape: shape, channelAxis: 0, reductionAxis: 1,
                    groups: groups, macs: macs)
    }

    static func convTranspose(_ name: String, _ shape: [Int]) -> WeightLayer {
        WeightLayer(name: name, op: .convTranspose, nodeName: "", shape: shape, channelAxis: 1, reductionAxis: 0,
                    macs: 0)
    }

    /// Gemm with transB = 1: weight [out, in].
    static func gemmT(_ name: String, _ shape: [Int], macs: Int = 0) -> WeightLayer {
        WeightLayer(name: name, op: .gemm, nodeName: "", shape: shape, channelAxis: 0, reductionAxis: 1, macs: macs)
    }

    /// MatMul (or Gemm with transB = 0): weight [in, out].
    static func matMul(_ name: String, _ shape: [Int], macs: Int = 0) -> WeightLayer {
        WeightLayer(name: name, op: .matMul, nodeName: "", shape: shape, channelAxis: 1, reductionAxis: 0, macs: macs)
    }

    static func conv(_ shape: [Int], groups: Int = 1, macs: Int = 0) -> WeightLayer {
        conv("conv.weight", shape, groups: groups, macs: macs)
    }
    static func convTranspose(_ shape: [Int]) -> WeightLayer { convTranspose("convT.weight", shape) }
    static func gemmT(_ shape: [Int], macs: Int = 0) -> WeightLayer { gemmT("fc.weight", shape, macs: macs) }
    static func matMul(_ shape: [Int], macs: Int = 0) -> WeightLayer { matMul("mm.weight", shape, macs: macs) }

    static func tensor(_ shape: [Int], _ values: [Float]) -> Tensor { Tensor(shape: shape, floats: values) }
}

extension LayerSettings {
    static func int(_ bits: Int, _ scheme: QuantizationScheme = .symmetric,
                    _ granularity: Granularity = .perChannel) -> LayerSettings {
        LayerSettings(bits: .integer(bits), scheme: scheme, granularity: granularity)
    }
}
