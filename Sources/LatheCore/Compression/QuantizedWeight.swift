/// A uniformly quantized weight as integers: `value = (code − zeroPoint)·scale` in float32, per channel
/// along `axis` or per tensor (`axis` nil), exactly as ONNX DequantizeLinear computes it.
///
/// Read off the Compressor's own output with the grids it used (`Compressor.quantizedWeight`), never by
/// quantizing again, so any rounding method that keeps to those grids exports exactly what Lathe measured.
public struct QuantizedWeight: Sendable, Equatable {
    public var shape: [Int]
    /// Row-major codes: within −qmax…qmax (symmetric, signed) or 0…2^b−1 (asymmetric, unsigned).
    public var codes: [Int32]
    /// One per channel along `axis`, or one.
    public var scales: [Float]
    /// One per scale; all 0 when symmetric.
    public var zeroPoints: [Int32]
    public var axis: Int?
    public var bits: Int
    /// Symmetric grids give signed codes, asymmetric ones unsigned.
    public var signed: Bool

    public var isSymmetric: Bool { signed }

    /// The float32 values the codes stand for: `(code − zeroPoint)·scale`.
    public func dequantized() -> [Float] {
        let inner = axis.map { shape[($0 + 1)...].reduce(1, *) } ?? 1
        let length = axis.map { shape[$0] } ?? 1
        return codes.indices.map { i in
            let c = axis == nil ? 0 : (i / inner) % length
            return Float(codes[i] - zeroPoints[c]) * scales[c]
        }
    }

    /// The codes of `values` on `grids` (one per channel along `axis`, or one), checked to give back every
    /// value bit for bit; nil (with the first element that does not) when they do not.
    public static func reading(_ values: [Float], shape: [Int], grids: [QuantizationGrid], axis: Int?,
                               bits: Int) -> (weight: QuantizedWeight?, problem: String?) {
        guard let first = grids.first else { return (nil, "no grid") }
        let signed: Bool
        if case .symmetric = first { signed = true } else { signed = false }
        var scales: [Float] = [], zeroPoints: [Int32] = [], low: [Float] = [], high: [Float] = []
        for grid in grids {
            switch grid {
            case let .symmetric(qmax, scale):
                guard signed else { return (nil, "mixed grid kinds") }
                scales.append(scale); zeroPoints.append(0); low.append(-qmax); high.append(qmax)
            case let .asymmetric(levels, scale, zeroPoint):
                guard !signed else { return (nil, "mixed grid kinds") }
                scales.append(scale); zeroPoints.append(Int32(zeroPoint)); low.append(0); high.append(levels)
            }
        }
        let inner = axis.map { shape[($0 + 1)...].reduce(1, *) } ?? 1
        let length = axis.map { shape[$0] } ?? 1
        guard scales.count == length else { return (nil, "\(scales.count) grids for \(length) channels") }
        var codes = [Int32](repeating: 0, count: values.count)
        for i in values.indices {
            let c = axis == nil ? 0 : (i / inner) % length
            let code = (values[i] / scales[c]).rounded(.toNearestOrEven) + Float(zeroPoints[c])
            guard code >= low[c], code <= high[c], Float(Int32(code) - zeroPoints[c]) * scales[c] == values[i] else {
                return (nil, "element \(i) (\(values[i])) is not on its grid (scale \(scales[c]))")
            }
            codes[i] = Int32(code)
        }
        return (QuantizedWeight(shape: shape, codes: codes, scales: scales, zeroPoints: zeroPoints, axis: axis,
                                bits: bits, signed: signed), nil)
    }
}

extension Compressor {
    /// The integer form of `compressed` (what `compress` returned for `layer` under `settings`): the grids
    /// the quantizer chose for `weight` (after pruning, as `compress` does) and the codes read off the
    /// compressed values on them. `.notUniform` for settings that give no uniform grid (float, fp16/bf16,
    /// sharing, low-rank, the nf4 / pow2 levels); `.offGrid` when a value does not lie on its grid (a rounding method choosing
    /// other grids): then the compressed floats are the only exact form.
    public static func quantizedWeight(original weight: Tensor, compressed: Tensor, layer: WeightLayer,
                                       settings: LayerSettings) throws -> QuantizedWeightReading {
        guard case .integer(let bits) = settings.bits, settings.isUniformlyQuantized, settings.grid == .uniform else {
            return .notUniform
        }
        let prepared = try prepare(weight, layer: layer, settings: settings)
        guard !prepared.encoded else { return .notUniform }
        let grids = UniformQuantizer.grids(prepared.values, shape: layer.shape, channelAxis: layer.channelAxis,
                                           settings: settings, keep: prepared.keep,
                                           wholeNumbers: layer.op.holdsIntegers)
        let axis = settings.granularity == .perChannel ? layer.channelAxis : nil
        let reading = QuantizedWeight.reading(compressed.floats, shape: layer.shape, grids: grids, axis: axis, bits: bits)
        if let weight = reading.weight { return .exact(weight) }
        return .offGrid(reading.problem ?? "off its grid")
    }
}

public enum QuantizedWeightReading: Sendable, Equatable {
    case exact(QuantizedWeight)
    case notUniform
    case offGrid(String)
}
