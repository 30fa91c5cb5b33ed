/// The shapes of a numpy-style matrix product, shared by MatMul and the
/// integer products (MatMulInteger, QLinearMatMul): a 1-D left operand is a
/// row vector and a 1-D right operand a column vector (the added axis is not in
/// the output); leading batch axes broadcast.
struct MatMulGeometry {
    let m, k, n: Int
    /// The operands' shapes with 1-D operands promoted to matrices.
    let aShape, bShape: [Int]
    let aBatch, bBatch: [Int]
    /// The broadcast batch shape, and the output shape (batch, then M and N where the operands had them).
    let batch, outputShape: [Int]
    /// Element offset of each operand's matrix for every index of the broadcast batch.
    let aOffsets, bOffsets: [Int]

    var batchCount: Int { aOffsets.count }

    init(node: Node, a: Tensor, b: Tensor) throws {
        guard a.rank >= 1, b.rank >= 1 else {
            throw node.kernelError("operands \(shapeText(a.shape)) and \(shapeText(b.shape)) must have rank 1 or more")
        }
        aShape = a.rank == 1 ? [1, a.shape[0]] : a.shape
        bShape = b.rank == 1 ? [b.shape[0], 1] : b.shape
        m = aShape[aShape.count - 2]
        k = aShape[aShape.count - 1]
        n = bShape[bShape.count - 1]
        guard bShape[bShape.count - 2] == k else {
            throw node.kernelError("inner dimensions differ: \(shapeText(a.shape)) × \(shapeText(b.shape))")
        }
        aBatch = Array(aShape.dropLast(2))
        bBatch = Array(bShape.dropLast(2))
        guard let batch = broadcastShape([aBatch, bBatch]) else {
            throw node.kernelError("batch axes \(shapeText(aBatch)) and \(shapeText(bBatch)) do not broadcast")
        }
        self.batch = batch
        var shape = batch
        if a.rank > 1 { shape.append(m) }
        if b.rank > 1 { shape.append(n) }
        outputShape = shape
        aOffsets = Self.batchOffsets(aBatch, in: batch, matrix: m * k)
        bOffsets = Self.batchOffsets(bBatch, in: batch, matrix: k * n)
    }

    /// Element offset of an operand's matrix for every index of the broadcast batch.
    static func batchOffsets(_ own: [Int], in batch: [Int], matrix: Int) -> [Int] {
        let count = batch.reduce(1, *)
        let padded = [Int](repeating: 1, count: batch.count - own.count) + own
        let ownStrides = rowMajorStrides(padded)
        var offsets = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: batch.count)
        for i in 0..<count {
            var offset = 0
            for axis in 0..<batch.count where padded[axis] != 1 { offset += index[axis] * ownStrides[axis] }
            offsets[i] = offset * matrix
            var axis = batch.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < batch[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return offsets
    }
}
