/// Data converted to the dtype a graph input declares: the one place where
/// input data changes type, so `int64` token ids stay exact (never a float32
/// round trip), `bool` masks stay booleans and `float16` inputs get float16
/// values. Conversions that would change a value are refused, naming the array.
enum InputConversion {
    /// `tensor` (the data array `source`) as model input `input` declared `dtype`
    /// (nil: undeclared, the data's own dtype is kept).
    ///
    /// - floating input: any numeric data, rounded to the input's precision (float16, bfloat16);
    /// - integer input: integers (or integral floats) inside the dtype's range;
    /// - bool input: booleans, or numbers that are all 0 or 1.
    static func convert(_ tensor: Tensor, to dtype: DType?, input: String, source: String) throws -> Tensor {
        guard let dtype, dtype != tensor.dtype else { return tensor }
        if dtype.isFloatingPoint {
            let floats = HalfPrecision.rounded(tensor.asFloats, to: dtype)
            return Tensor(shape: tensor.shape, floats: floats, dtype: dtype)
        }
        var ints: [Int64] = []
        ints.reserveCapacity(tensor.count)
        if tensor.isFloat {
            for (index, value) in tensor.floats.enumerated() {
                // 2^63 itself is out of Int64's range, hence the strict bound.
                guard value.isFinite, value.rounded() == value, abs(value) < 0x1p63 else {
                    throw refusal(input: input, dtype: dtype, source: source, index: index, value: "\(value)",
                                  why: "not an integer")
                }
                ints.append(Int64(value))
            }
        } else {
            ints = tensor.ints
        }
        let range: ClosedRange<Int64> = dtype == .bool ? 0...1 : dtype.integerRange ?? Int64.min...Int64.max
        // uint64 data above Int64.max is held wrapped; anything in range is exact.
        if range != Int64.min...Int64.max, let index = ints.firstIndex(where: { !range.contains($0) }) {
            throw refusal(input: input, dtype: dtype, source: source, index: index, value: "\(ints[index])",
                          why: dtype == .bool ? "not 0 or 1" : "outside \(dtype.rawValue)'s range")
        }
        return Tensor(shape: tensor.shape, ints: ints, dtype: dtype)
    }

    private static func refusal(input: String, dtype: DType, source: String, index: Int, value: String,
                                why: String) -> LatheError {
        LatheError.badInput("model input '\(input)' is \(dtype.rawValue), but array '\(source)' holds \(value) "
            + "(element \(index)), \(why)")
    }
}
