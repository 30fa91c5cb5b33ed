/// ONNX MatMulInteger and QLinearMatMul: numpy matmul of zero-point-shifted
/// 8-bit operands with int32 accumulation (wrapping, as onnxruntime's int32
/// does), batch axes broadcast as in MatMul.
/// - MatMulInteger returns the int32 sums. `a_zero_point` is per tensor or per
///   row of A (M values, or a tensor broadcasting as [..., M, 1]);
///   `b_zero_point` per tensor or per column of B (N values, or [..., 1, N]).
/// - QLinearMatMul requantizes each sum as onnxruntime does:
///   `y = saturate(round_half_even(Float(sum) · (a_scale · b_scale / y_scale)) + y_zero_point)`,
///   the multiplier in Float; scales per tensor, per row of A, per column of B.
enum IntegerMatMul {
    static func matMulInteger(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        try matMulInteger(node, inputs, memo: nil)
    }

    /// A kernel for one compiled step, remembering its weights' bound (`IntegerProductsInFloat.WeightBoundMemo`).
    static func remembering() -> Kernel {
        let memo = IntegerProductsInFloat.WeightBoundMemo()
        return { node, inputs in try matMulInteger(node, inputs, memo: memo) }
    }

    private static func matMulInteger(_ node: Node, _ inputs: [Tensor?],
                                      memo: IntegerProductsInFloat.WeightBoundMemo?) throws -> [Tensor] {
        let a = try node.input(0, of: inputs, "A")
        let bZeroPoint = node.optionalInput(inputs, 3)
        let weights = try node.input(1, of: inputs, "B")
        // On the float kernel where that is exact (`IntegerProductsInFloat`).
        if bZeroPoint == nil,
           let sums = try IntegerProductsInFloat.matMul(node, a: a, b: weights, aZeroPoint: node.optionalInput(inputs, 2),
                                                        memo: memo) {
            return [IntegerProductsInFloat.result(sums, node: node)]
        }
        // An integer weight layer's B arrives as float32 whole numbers (IntegerWeightOperand).
        let b = try IntegerWeightOperand.integers(weights, zeroPoint: bZeroPoint, node: node, role: "B")
        let product = try Product(node: node, a: IntegerProductsInFloat.integerInput(a, node: node), b: b,
                                  aZeroPoint: node.optionalInput(inputs, 2), bZeroPoint: bZeroPoint)
        return [IntegerProductsInFloat.result(product.sums(), shape: product.outputShape, node: node)]
    }

    static func qLinearMatMul(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let a = try node.input(0, of: inputs, "a")
        let aScale = try node.floatInput(inputs, 1, "a_scale")
        let b = try node.input(3, of: inputs, "b")
        let bScale = try node.floatInput(inputs, 4, "b_scale")
        let yScale = try QuantizedArithmetic.scalarScale(try node.floatInput(inputs, 6, "y_scale"), node: node,
                                                         role: "y_scale")
        let yZeroTensor = try node.input(7, of: inputs, "y_zero_point")
        let range = try QuantizedArithmetic.range(of: yZeroTensor.dtype, node: node, role: "y_zero_point")
        let yZero = try QuantizedArithmetic.scalarZeroPoint(yZeroTensor, matching: yZeroTensor.dtype, node: node,
                                                            role: "y_zero_point")
        let product = try Product(node: node, a: a, b: b, aZeroPoint: try node.input(2, of: inputs, "a_zero_point"),
                                  bZeroPoint: try node.input(5, of: inputs, "b_zero_point"))
        let (m, n) = (product.m, product.n)
        let aScales = try perIndexScales(aScale, count: m, node: node, role: "a_scale", what: "rows of a")
        let bScales = try perIndexScales(bScale, count: n, node: node, role: "b_scale", what: "columns of b")
        let sums = product.sums()
        var y = [Int64](repeating: 0, count: sums.count)
        var multipliers = [Float](repeating: 0, count: n)
        for i in 0..<m {
            for j in 0..<n { multipliers[j] = aScales[i] * bScales[j] / yScale }
            var index = i * n
            while index < sums.count {
                for j in 0..<n {
                    y[index + j] = QuantizedArithmetic.quantize(Float(sums[index + j]) * multipliers[j],
                                                                zeroPoint: yZero, range: range)
                }
                index += m * n
            }
        }
        return [Tensor(shape: product.outputShape, ints: y, dtype: yZeroTensor.dtype)]
    }

    /// A scale per tensor (one value) or per index (`count` values), expanded to `count`.
    static func perIndexScales(_ scale: Tensor, count: Int, node: Node, role: String, what: String) throws -> [Float] {
        if scale.count == 1 { return [Float](repeating: scale.floats[0], count: count) }
        guard scale.count == count, scale.shape.filter({ $0 != 1 }).count <= 1 else {
            throw node.kernelError("\(role) of shape \(shapeText(scale.shape)) is neither one value nor one per "
                + "\(what) (\(count))")
        }
        return scale.floats
    }

    /// The zero-point-shifted operands of one (batched) integer matrix product.
    struct Product {
        let m, k, n: Int
        let outputShape: [Int]
        /// Shifted operands as Int32, row-major, with every operand matrix's offset per batch index.
        let a, b: [Int32]
        let aOffsets, bOffsets: [Int]

        init(node: Node, a: Tensor, b: Tensor, aZeroPoint: Tensor?, bZeroPoint: Tensor?) throws {
            let shiftedInput = IntegerProductsInFloat.hasShiftedInput(node)
            for (tensor, role) in [(a, "A"), (b, "B")] {
                guard IntegerWeightOperand.accepts(tensor.dtype, weight: role == "B" ? bZeroPoint == nil : shiftedInput)
                else {
                    throw node.kernelError("input \(role) has type \(tensor.dtype.rawValue); int8 or uint8 is needed")
                }
            }
            let geometry = try MatMulGeometry(node: node, a: a, b: b)
            (m, k, n) = (geometry.m, geometry.k, geometry.n)
            outputShape = try node.checkedOutputShape(geometry.outputShape)
            (aOffsets, bOffsets) = (geometry.aOffsets, geometry.bOffsets)
            let (aShape, bShape) = (geometry.aShape, geometry.bShape)
            self.a = try Self.shifted(a, shape: aShape, zeroPoint: aZeroPoint, vectorShape: [m, 1], node: node,
                                      role: "a_zero_point")
            self.b = try Self.shifted(b, shape: bShape, zeroPoint: bZeroPoint, vectorShape: [1, n], node: node,
                                      role: "b_zero_point")
        }

        /// `tensor − zeroPoint` as Int32. A 1-D zero point of several values is laid out as `vectorShape`
        /// (per row of A, per column of B); higher ranks broadcast numpy-style.
        static func shifted(_ tensor: Tensor, shape: [Int], zeroPoint: Tensor?, vectorShape: [Int], node: Node,
                            role: String) throws -> [Int32] {
            guard let zeroPoint else { return tensor.ints.map { Int32(truncatingIfNeeded: $0) } }
            guard zeroPoint.dtype == tensor.dtype else {
                throw node.kernelError("\(role) has type \(zeroPoint.dtype.rawValue) but its operand is "
                    + tensor.dtype.rawValue)
            }
            if zeroPoint.count == 1 {
                let z = zeroPoint.ints[0]
                return tensor.ints.map { Int32(truncatingIfNeeded: $0 - z) }
            }
            let zeroShape = zeroPoint.rank == 1 ? vectorShape : zeroPoint.shape
            guard let plan = BroadcastPlan([shape, zeroShape], to: shape), zeroShape.reduce(1, *) == zeroPoint.count else {
                throw node.kernelError("\(role) of shape \(shapeText(zeroPoint.shape)) does not fit an operand of "
                    + "shape \(shapeText(shape))")
            }
            return Broadcasting.map(tensor.ints, zeroPoint.ints, plan: plan) { Int32(truncatingIfNeeded: $0 - $1) }
        }

        /// The int32 products, batch after batch, each [m, n] row-major.
        func sums() -> [Int32] {
            let batches = aOffsets.count
            var y = [Int32](repeating: 0, count: batches * m * n)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    y.withUnsafeMutableBufferPointer { py in
                        for batch in 0..<batches {
                            let ao = aOffsets[batch], bo = bOffsets[batch], yo = batch * m * n
                            for i in 0..<m {
                                let row = yo + i * n
                                for p in 0..<k {
                                    let av = pa[ao + i * k + p]
                                    if av == 0 { continue }
                                    let bRow = bo + p * n
                                    for j in 0..<n { py[row + j] &+= av &* pb[bRow + j] }
                                }
                            }
                        }
                    }
                }
            }
            return y
        }
    }
}
