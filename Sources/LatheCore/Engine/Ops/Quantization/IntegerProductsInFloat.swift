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
enum IntegerProductsInFloat {
    static let exactLimit: Float = 16_777_216

    /// ConvInteger's int32 sums, or nil when the float kernel cannot give them exactly.
    static func conv(_ node: Node, x: Tensor, w: Tensor, xZeroPoint: Tensor?) throws -> Tensor? {
        guard w.dtype == .float32, w.rank >= 3, let (input, largest) = shifted(x, zeroPoint: xZeroPoint),
              let weightSum = largestRunSum(w.floats, runs: w.shape[0]), largest * weightSum < exactLimit
        else { return nil }
        var attributes = node.attributes
        attributes[ConvKernel.exactSumsKey] = .int(1)
        let conv = Node(name: node.name, opType: "Conv", inputs: [], outputs: [], attributes: attributes)
        let sums = try ConvKernel.run(conv, [Tensor(shape: x.shape, floats: input), w])[0]
        return Tensor(shape: sums.shape, ints: integers(sums.floats), dtype: .int32)
    }

    /// MatMulInteger's int32 sums for a 2-D B, or nil when the float kernel cannot give them exactly.
    static func matMul(_ node: Node, a: Tensor, b: Tensor, aZeroPoint: Tensor?) throws -> Tensor? {
        guard b.dtype == .float32, b.rank == 2, let (input, largest) = shifted(a, zeroPoint: aZeroPoint) else {
            return nil
        }
        // Columns of B: sum each column's magnitudes.
        let (k, n) = (b.shape[0], b.shape[1])
        var columns = [Float](repeating: 0, count: n)
        var whole = true
        b.floats.withUnsafeBufferPointer { values in
            for row in 0..<k {
                for column in 0..<n {
                    let value = values[row * n + column]
                    whole = whole && value.rounded() == value
                    columns[column] += abs(value)
                }
            }
        }
        guard whole, largest * (columns.max() ?? 0) < exactLimit else { return nil }
        let product = try MatMulKernel.run(Node(name: node.name, opType: "MatMul", inputs: [], outputs: []),
                                           [Tensor(shape: a.shape, floats: input), b])[0]
        return Tensor(shape: product.shape, ints: integers(product.floats), dtype: .int32)
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
    /// its largest magnitude; nil for any other operand.
    static func shifted(_ x: Tensor, zeroPoint: Tensor?) -> (values: [Float], largest: Float)? {
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
        return (values, Float(largest))
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
