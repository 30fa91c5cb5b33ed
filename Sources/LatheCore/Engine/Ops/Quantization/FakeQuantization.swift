/// Quantize then dequantize in one pass over Float values, without the integer
/// tensor in between: `y = (q − zero_point) · scale` with
/// `q = saturate(round_half_even(x / scale) + zero_point)`.
///
/// Because the integer range's ends minus the zero point are whole numbers,
/// `q − zero_point` is `round_half_even(clamp(x / scale, low, high))` with
/// `low = range.lower − zero_point`, `high = range.upper − zero_point`, all
/// exact in Float for the 16-bit ranges and below; adding +0 turns the −0 that
/// rounding gives small negatives into the +0 an integer difference converts
/// to, so the result is bitwise what the two steps give. A NaN quotient gives
/// `nanResult`: `0 · scale` for ONNX QuantizeLinear (a NaN quantizes to the
/// zero point), NaN for Lathe's own activation grids.
///
/// One loop for ONNX's QuantizeLinear → DequantizeLinear pairs (QDQ models:
/// eight bytes an element of Int64 written and read again, otherwise), the
/// `abits` activation quantizers, QuantizeLinear's integers (`quantize`) and
/// DynamicQuantizeLinear's shifted steps (`steps`).
struct FakeQuantization: Sendable {
    let scale: Float
    let low: Float
    let high: Float
    let nanResult: Float

    /// The grid of ONNX QuantizeLinear with `scale` and `zeroPoint` into `range`, dequantized.
    init(scale: Float, zeroPoint: Int64, range: ClosedRange<Int64>) {
        self.scale = scale
        low = Float(range.lowerBound - zeroPoint)
        high = Float(range.upperBound - zeroPoint)
        nanResult = Float(0) * scale
    }

    init(scale: Float, low: Float, high: Float, nanResult: Float) {
        self.scale = scale
        self.low = low
        self.high = high
        self.nanResult = nanResult
    }

    @inline(__always)
    func apply(_ x: Float) -> Float {
        let v = x / scale
        guard !v.isNaN else { return nanResult }
        let clamped = v < low ? low : (v > high ? high : v)
        return (clamped.rounded(.toNearestOrEven) + 0) * scale
    }

    /// QuantizeLinear's integers for `count` values: the step `apply` rounds each to, plus `zeroPoint` (the
    /// zero point this grid was made with; a NaN gives it). The steps go through a small buffer, since
    /// converting sixteen lanes to Int64 at once (`SIMD16<Int64>(v, rounding:)`) is a generic call per lane.
    func quantize(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Int64>, count: Int,
                  zeroPoint: Int64) {
        let chunk = 256
        withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk) { buffer in
            guard let steps = buffer.baseAddress else { return }
            var start = 0
            while start < count {
                let n = min(chunk, count - start)
                run(source + start, steps, count: n, scaled: false)
                for j in 0..<n { target[start + j] = Int64(steps[j]) &+ zeroPoint }
                start += n
            }
        }
    }

    /// `apply` on `count` values from `source` into `target` (which may be `source`).
    func apply(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int) {
        run(source, target, count: count, scaled: true)
    }

    /// The grid steps `q − zero point` as Float for `count` values (NaN gives 0): QuantizeLinear's integers
    /// shifted by the zero point, which the integer kernels multiply (`IntegerProductsInFloat`).
    func steps(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int) {
        run(source, target, count: count, scaled: false)
    }

    @inline(__always)
    private func run(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int, scaled: Bool) {
        typealias Lanes = SIMD16<Float>
        let scales = Lanes(repeating: scale), lows = Lanes(repeating: low), highs = Lanes(repeating: high)
        let nans = Lanes(repeating: scaled ? nanResult : 0), zeros = Lanes(repeating: 0)
        var i = 0
        while i + Lanes.scalarCount <= count {
            var v = UnsafeRawPointer(source + i).loadUnaligned(as: Lanes.self) / scales
            let isNaN = v .!= v
            v.replace(with: lows, where: v .< lows)
            v.replace(with: highs, where: v .> highs)
            var y = v.rounded(.toNearestOrEven) + zeros
            if scaled { y *= scales }
            y.replace(with: nans, where: isNaN)
            UnsafeMutableRawPointer(target + i).storeBytes(of: y, as: Lanes.self)
            i += Lanes.scalarCount
        }
        while i < count {
            if scaled {
                target[i] = apply(source[i])
            } else {
                let v = source[i] / scale
                target[i] = v.isNaN ? 0 : (v < low ? low : (v > high ? high : v)).rounded(.toNearestOrEven) + 0
            }
            i += 1
        }
    }
}
