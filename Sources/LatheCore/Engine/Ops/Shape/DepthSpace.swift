/// DepthToSpace and SpaceToDepth on NCHW tensors: blocks of `blocksize` ×
/// `blocksize` pixels move between the channel axis and the spatial axes, in
/// DCR or CRD channel order (`mode`: DepthToSpace from opset 11, SpaceToDepth
/// from 28; DCR, the default, is the older opsets' only order).
/// Both are a reshape to rank 6, a transpose, and a reshape back, done here
/// as one strided copy (`ElementCopy.strided`) over the source's rank-6
/// strides permuted into the output's order.
enum DepthSpace {
    static let depthToSpace: Kernel = { node, inputs in
        let (x, block) = try operands(node, inputs)
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cells, overflow) = block.multipliedReportingOverflow(by: block)
        guard !overflow, c % cells == 0 else {
            throw node.kernelError("channels \(c) of input \(shapeText(x.shape)) are not divisible by "
                                   + "blocksize² (blocksize \(block))")
        }
        let depth = c / cells
        let outShape = try node.checkedOutputShape([n, depth, h * block, w * block])
        let mode = node.string("mode") ?? "DCR"
        // Source viewed as rank 6, and the permutation that gives the output's order.
        let sourceShape: [Int], perm: [Int]
        switch mode {
        case "DCR":   // channels split as (row offset, column offset, depth)
            sourceShape = [n, block, block, depth, h, w]
            perm = [0, 3, 4, 1, 5, 2]
        case "CRD":   // channels split as (depth, row offset, column offset)
            sourceShape = [n, depth, block, block, h, w]
            perm = [0, 1, 4, 2, 5, 3]
        default:
            throw node.kernelError("unsupported mode '\(mode)' (expected DCR or CRD)")
        }
        return [permuted(x, sourceShape: sourceShape, perm: perm, outShape: outShape)]
    }

    static let spaceToDepth: Kernel = { node, inputs in
        let (x, block) = try operands(node, inputs)
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        guard h % block == 0, w % block == 0 else {
            throw node.kernelError("spatial size \(h) x \(w) of input \(shapeText(x.shape)) is not divisible by "
                                   + "blocksize \(block)")
        }
        let outShape = try node.checkedOutputShape([n, c * block * block, h / block, w / block])
        // Source viewed as (N, C, H/b, row offset, W/b, column offset); `mode` (opset 28) orders the new channels.
        let perm: [Int]
        switch node.string("mode") ?? "DCR" {
        case "DCR": perm = [0, 3, 5, 1, 2, 4]   // channel = (row offset, column offset, c)
        case "CRD": perm = [0, 1, 3, 5, 2, 4]   // channel = (c, row offset, column offset)
        case let other: throw node.kernelError("unsupported mode '\(other)' (expected DCR or CRD)")
        }
        return [permuted(x, sourceShape: [n, c, h / block, block, w / block, block], perm: perm, outShape: outShape)]
    }

    /// The input (rank 4) and a positive blocksize.
    static func operands(_ node: Node, _ inputs: [Tensor?]) throws -> (Tensor, Int) {
        let x = try node.input(0, of: inputs, "input")
        guard x.rank == 4 else {
            throw node.kernelError("input has shape \(shapeText(x.shape)); rank 4 (N, C, H, W) is needed")
        }
        guard let block = node.int("blocksize") else { throw node.kernelError("attribute blocksize is missing") }
        guard block > 0, block < 1 << 31 else { throw node.kernelError("blocksize \(block) must be positive") }
        return (x, block)
    }

    static func permuted(_ x: Tensor, sourceShape: [Int], perm: [Int], outShape: [Int]) -> Tensor {
        let strides = rowMajorStrides(sourceShape)
        let shape = perm.map { sourceShape[$0] }, steps = perm.map { strides[$0] }
        return x.rearranged(shape: outShape,
                            float: { ElementCopy.strided($0, offset: 0, shape: shape, strides: steps) },
                            int: { ElementCopy.strided($0, offset: 0, shape: shape, strides: steps) })
    }
}
