import Foundation

/// What a Conv call works out before any arithmetic: the problem and geometry read from the node's
/// attributes and the input shapes, the fused activation, the GEMM plan and the output shape.
///
/// At batch 1 a small convolution's arithmetic takes a few microseconds, and working this out (attribute
/// lookups, a dozen small arrays allocated and freed) took as long: 15% of a MobileNetV3's run. A compiled
/// step calls its node with the same shapes every time, so `ConvSetupMemo` keeps the last setup (a class, so
/// handing it out is one retain rather than one per array inside).
final class ConvSetup: Sendable {
    /// What the setup depends on besides the node, whose attributes a step never changes.
    struct Key: Equatable, Sendable {
        var x: [Int]
        var w: [Int]
        var biasCount: Int?
    }

    let key: Key
    let problem: ConvProblem
    /// `problem.geometry.canonical()`.
    let geometry: SpatialGeometry
    let activation: FusedActivation
    let plan: ConvKernel.GemmPlan
    let outShape: [Int]
    let outCount: Int
    let packedPath: Bool

    init(node: Node, x: Tensor, w: Tensor, bias: Tensor?) throws {
        key = Key(x: x.shape, w: w.shape, biasCount: bias?.count)
        problem = try ConvProblem(node: node, x: x, w: w, bias: bias)
        activation = try FusedActivation(node: node)
        geometry = problem.geometry.canonical()
        plan = ConvKernel.GemmPlan(problem, geometry)
        outShape = [problem.batch, problem.outChannels] + problem.geometry.outputShape
        outCount = outShape.reduce(1, *)
        packedPath = ConvKernel.takesPackedPath(problem, geometry, plan)
    }
}

/// The last `ConvSetup` of one compiled step (`OpRegistry.perStepKernels`). Steps run concurrently on the
/// batches of a pass, hence the lock; a different shape (another batch size) replaces the entry.
final class ConvSetupMemo: @unchecked Sendable {
    private let lock = NSLock()
    private var last: ConvSetup?

    func setup(node: Node, x: Tensor, w: Tensor, bias: Tensor?) throws -> ConvSetup {
        let key = ConvSetup.Key(x: x.shape, w: w.shape, biasCount: bias?.count)
        if let known = lock.withLock({ last }), known.key == key { return known }
        let fresh = try ConvSetup(node: node, x: x, w: w, bias: bias)
        lock.withLock { last = fresh }
        return fresh
    }
}
