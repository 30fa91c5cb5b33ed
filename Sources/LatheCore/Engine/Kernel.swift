/// One op's implementation: takes the node (attributes) and its inputs in
/// order (nil for an omitted optional input) and returns its outputs in order.
/// Kernels throw `LatheError.badInput` naming the node for inputs they cannot
/// handle (wrong ranks, unsupported attribute values).
public typealias Kernel = @Sendable (_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor]
