/// `out[i] = src[i · stride]` over a range: the inner loop of im2col for
/// strided convolutions. Element by element it was im2col's slowest path
/// (a 512×512 stride-2 stem spent more time gathering than multiplying);
/// stride 2 instead loads 16 consecutive floats and keeps the even lanes
/// (two `shufps` per 8 outputs), larger strides unroll by four.
enum StridedGather {
    /// - Parameters:
    ///   - range: the output positions to fill (reads `src[i · stride]` for each).
    ///   - rowEnd: `src[rowEnd - 1]` is the last readable float of the input row; a vector
    ///     load reads up to one float past its last kept lane, so it runs only where that
    ///     float is still inside the row (the rest is gathered one by one).
    @inline(__always)
    static func gather(_ src: UnsafePointer<Float>, stride: Int, into out: UnsafeMutablePointer<Float>,
                       range: Range<Int>, rowEnd: Int) {
        var i = range.lowerBound
        if stride == 2 {
            // A block of 8 outputs from i reads src[2i ... 2i + 15].
            while i + 8 <= range.upperBound && 2 * i + 16 <= rowEnd {
                let pairs = UnsafeRawPointer(src + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(out + i).storeBytes(of: pairs.evenHalf, as: SIMD8<Float>.self)
                i += 8
            }
        } else {
            while i + 4 <= range.upperBound {
                let base = src + i * stride
                out[i] = base[0]
                out[i + 1] = base[stride]
                out[i + 2] = base[2 * stride]
                out[i + 3] = base[3 * stride]
                i += 4
            }
        }
        while i < range.upperBound {
            out[i] = src[i * stride]
            i += 1
        }
    }
}
