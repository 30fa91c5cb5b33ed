/// The weight operand of MatMulInteger (B) and ConvInteger (w) as the kernels multiply it.
///
/// A file stores it as int8 or uint8 with a zero point. An integer weight layer
/// (`IntegerWeightLayers`) hands the kernel float32 whole numbers instead: the stored
/// integers minus their zero point, or a re-compression of them that kept to whole
/// numbers. Those are taken as int32, after checking that every one is a whole number
/// (a float the kernel cannot multiply exactly is an error, never a silent rounding).
enum IntegerWeightOperand {
    /// Values this large are far outside any re-compressed 8-bit weight, yet multiply exactly in int32.
    static let limit: Float = 65_536

    /// `tensor` unchanged when it is an integer tensor; a float32 one as int32 whole numbers.
    static func integers(_ tensor: Tensor, zeroPoint: Tensor?, node: Node, role: String) throws -> Tensor {
        guard tensor.isFloat else { return tensor }
        guard zeroPoint == nil else {
            throw node.kernelError("input \(role) is \(tensor.dtype.rawValue) with a zero point; int8 or uint8 is needed")
        }
        var values: [Int64] = []
        values.reserveCapacity(tensor.count)
        for value in tensor.floats {
            guard value.rounded() == value, abs(value) <= limit else {
                throw node.kernelError("input \(role) holds \(value), not a whole number the integer kernel can multiply")
            }
            values.append(Int64(value))
        }
        return Tensor(shape: tensor.shape, ints: values, dtype: .int32)
    }

    /// The operand types a kernel accepts for `role`: int8/uint8, and int32 for a weight made whole above.
    static func accepts(_ dtype: DType, weight: Bool) -> Bool {
        dtype == .int8 || dtype == .uint8 || (weight && dtype == .int32)
    }
}
