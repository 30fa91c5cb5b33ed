import Foundation

/// What a Conv call works out before any arithmetic: the problem and geometry read from the node's
/// attributes and the input shapes, the fused activation, the GEMM plan and the output shape.
///
/// At batch 1 a small convolution's arithmetic takes a few microseconds, and working this out (attribute
/// lookups, a dozen small arrays allocated and freed) took as long: 15% of a MobileNetV3's run. A compiled
/// step calls its node with the same shapes every time, so a `LastValueMemo` keeps the last setup (a class, so
/// handing it out is one retain rather than one per array inside).
final class ConvSetup: Sendable {
    /// What the setup depends on besides the node, whose attributes a step never changes.
    struct Key: Equatable, Sendable {
        var x: [Int]
        var w: [Int]
        var biasCount: Int?
    }

    let problem: ConvProblem
    /// `problem.geometry.canonical()`.
    let geometry: SpatialGeometry
    let activation: FusedActivation
    let plan: ConvKernel.GemmPlan
    let outShape: [Int]
    let outCount: Int
    /// How the weights are packed when the C micro-kernel runs this convolution (`PackedConv2D`); nil otherwise.
    let packedForm: PackedWeightCache.Form?

    init(node: Node, x: Tensor, w: Tensor, bias: Tensor?) throws {
        problem = try ConvProblem(node: node, x: x, w: w, bias: bias)
        activation = try FusedActivation(node: node)
        geometry = problem.geometry.canonical()
        plan = ConvKernel.GemmPlan(problem, geometry)
        outShape = [problem.batch, problem.outChannels] + problem.geometry.outputShape
        outCount = outShape.reduce(1, *)
        packedForm = ConvKernel.takesPackedPath(problem, geometry, plan)
            ? PackedWeightCache.Form(problem, geometry, plan) : nil
    }
}
