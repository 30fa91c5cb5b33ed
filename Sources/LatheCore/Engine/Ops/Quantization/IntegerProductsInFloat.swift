/// ConvInteger and MatMulInteger of a dynamically quantized model (onnxruntime's
/// `quantize_dynamic`) on the float kernels, with the integer kernels' exact sums.
///
/// Below 2^24 every whole number is a Float, so a sum of whole-number products
/// is exact in Float, in any order and with fused multiply-adds, as long as the
/// magnitudes of its terms add up to less than 2^24: no partial sum can pass it.
/// With the shifted input at most `a` in magnitude and the weights of one output
/// (a Conv's output channel, a column of B) adding up to at most `s` in
/// magnitude, `a · s < 2^24` bounds every sum; int32 never wraps there either.
/// An 8-bit input is at most 255 from its zero point, and 8-bit weights of a
/// 3×3×64 filter add up to a few thousand, so the layers of the models users
/// quantize qualify; any that does not runs on the integer kernels.
///
/// Only for the weights `IntegerWeightLayers` made float whole numbers (the
/// common case; a weight the kernel receives as integers would be converted
/// anew on every call) and a per-tensor input zero point (DynamicQuantizeLinear's).
/// The convolution forbids Winograd (`ConvKernel.exactSumsKey`), whose
/// transforms round.
///
/// After `DynamicQuantizationFusion` the operands arrive shifted already and the sums leave as Float: the
/// node's input 0 is DynamicQuantizeLinear's `q − zero point` as Float32 (`shiftedInputKey`, at most 255 in
/// magnitude) and its output the Cast to float that alone read the sums (`floatSumsKey`).
enum IntegerProductsInFloat {
    static let exactLimit: Float = 16_777_216
    static let shiftedInputKey = "lathe.shifted_input"
    static let floatSumsKey = "lathe.float_sums"

    static func hasShiftedInput(_ node: Node) -> Bool { node.int(shiftedInputKey) == 1 }

    /// The node's result from exact Float sums: those, or as the int32 tensor ONNX defines.
    static func result(_ sums: Tensor, node: Node) -> Tensor {
        node.int(floatSumsKey) == 1 ? sums : Tensor(shape: sums.shape, ints: integers(sums.floats), dtype: .int32)
    }

    /// The node's result from the integer kernels' sums: as int32, or converted to Float as the fused Cast does.
    static func result(_ sums: [Int32], shape: [Int], node: Node) -> Tensor {
        if node.int(floatSumsKey) == 1 { return Tensor(shape: shape, floats: sums.map { Float($0) }) }
        return Tensor(shape: shape, ints: sums.map { Int64($0) }, dtype: .int32)
    }

    /// The data operand for the integer kernels: a shifted Float32 input as int32 whole numbers (its zero point is
    /// applied already), any other unchanged.
    static func integerInput(_ x: Tensor, node: Node) -> Tensor {
        guard hasShiftedInput(node), x.isFloat else { return x }
        return Tensor(shape: x.shape, ints: x.floats.map { Int64($0) }, dtype: .int32)
    }

    /// A weight array by identity: equal when both share storage. A memo keeps the array it compares with, so
    /// that storage cannot be freed and its address reused meanwhile.
    struct WeightIdentity: Equatable {
        let values: [Float]

        static func == (lhs: WeightIdentity, rhs: WeightIdentity) -> Bool {
            lhs.values.withUnsafeBufferPointer { a in
                rhs.values.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress && a.count == b.count }
            }
        }
    }

    /// The weights' bound (largest magnitude sum of one output's weights, nil when not whole numbers), kept per
    /// compiled step (`OpRegistry.perStepKernels`): a step multiplies the same array on every call, and summing
    /// it again cost as much as the product itself for a MatMulInteger of one row.
    typealias WeightBoundMemo = LastValueMemo<WeightIdentity, Float?>

    static func weightBound(_ weights: [Float], memo: WeightBoundMemo?, compute: ([Float]) -> Float?) -> Float? {
        guard let memo else { return compute(weights) }
        return memo.value(for: WeightIdentity(values: weights)) { compute(weights) }
    }

    /// ConvInteger's sums as Float, or nil when the float kernel cannot give them exactly.
    static func conv(_ node: Node, x: Tensor, w: Tensor, xZeroPoint: Tensor?, memo: WeightBoundMemo? = nil) throws
        -> Tensor? {
        let runs = w.shape.first ?? 0
        guard w.dtype == .float32, w.rank >= 3, let (input, largest) = shifted(x, zeroPoint: xZeroPoint, node: node),
              let weightSum = weightBound(w.floats, memo: memo, compute: { largestRunSum($0, runs: runs) }),
              largest * weightSum < exactLimit
        else { return nil }
        var attributes = node.attributes
        attributes[ConvKernel.exactSumsKey] = .int(1)
        let conv = Node(name: node.name, opType: "Conv", inputs: [], outputs: [], attributes: attributes)
        return try ConvKernel.run(conv, [input, w])[0]
    }

    /// MatMulInteger's sums as Float for a 2-D B, or nil when the float kernel cannot give them exactly.
    static func matMul(_ node: Node, a: Tensor, b: Tensor, aZeroPoint: Tensor?, memo: WeightBoundMemo? = nil) throws
        -> Tensor? {
        guard b.dtype == .float32, b.rank == 2, let (input, largest) = shifted(a, zeroPoint: aZeroPoint, node: node),
              let columnSum = weightBound(b.floats, memo: memo, compute: { largestColumnSum($0, columns: b.shape[1]) }),
              largest * columnSum < exactLimit
        else { return nil }
        return try MatMulKernel.run(Node(name: node.name, opType: "MatMul", inputs: [], outputs: []), [input, b])[0]
    }

    /// Whole-number sums as the int32 tensor's values.
    static func integers(_ sums: [Float]) -> [Int64] {
        let count = sums.count
        return sums.withUnsafeBufferPointer { values in
            [Int64](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count { out[i] = Int64(values[i]) }
                initialized = count
            }
        }
    }

    /// `x − zero point` as Float for an int8/uint8 `x` with a per-tensor zero point of its type (or none), and
    /// its largest magnitude (a shifted input as it is, bounded by 255); nil for any other operand.
    static func shifted(_ x: Tensor, zeroPoint: Tensor?, node: Node) -> (values: Tensor, largest: Float)? {
        if x.dtype == .float32 { return zeroPoint == nil && hasShiftedInput(node) ? (x, 255) : nil }
        guard x.dtype == .uint8 || x.dtype == .int8 else { return nil }
        var zero: Int64 = 0
        if let zeroPoint {
            guard zeroPoint.count == 1, zeroPoint.dtype == x.dtype else { return nil }
            zero = zeroPoint.ints[0]
        }
        var largest: Int64 = 0
        let count = x.count
        let values = x.ints.withUnsafeBufferPointer { ints in
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count {
                    let shifted = ints[i] &- zero
                    largest = max(largest, shifted < 0 ? 0 &- shifted : shifted)
                    out[i] = Float(shifted)
                }
                initialized = count
            }
        }
        return (Tensor(shape: x.shape, floats: values), Float(largest))
    }

    /// The largest sum of magnitudes over the columns of `values`, a row-major matrix of `columns` columns; nil
    /// when a value is not a whole number.
    static func largestColumnSum(_ values: [Float], columns: Int) -> Float? {
        guard columns > 0, values.count % columns == 0 else { return nil }
        var sums = [Float](repeating: 0, count: columns)
        var whole = true
        values.withUnsafeBufferPointer { w in
            for row in 0..<(w.count / columns) {
                for column in 0..<columns {
                    let value = w[row * columns + column]
                    whole = whole && value.rounded() == value
                    sums[column] += abs(value)
                }
            }
        }
        return whole ? sums.max() ?? 0 : nil
    }

    /// The largest sum of magnitudes over `runs` equal consecutive runs of `values`; nil when a value is not a
    /// whole number (the integer kernels then say which).
    static func largestRunSum(_ values: [Float], runs: Int) -> Float? {
        guard runs > 0, values.count % runs == 0 else { return nil }
        let length = values.count / runs
        var largest: Float = 0
        var whole = true
        values.withUnsafeBufferPointer { w in
            for run in 0..<runs {
                var sum: Float = 0
                for i in (run * length)..<((run + 1) * length) {
                    whole = whole && w[i].rounded() == w[i]
                    sum += abs(w[i])
                }
                largest = max(largest, sum)
            }
        }
        return whole ? largest : nil
    }
}
