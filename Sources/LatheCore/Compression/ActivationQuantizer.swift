/// Range of a layer's input values seen during calibration.
public struct ActivationRange: Sendable, Equatable {
    public var min: Float
    public var max: Float

    public init(min: Float = .infinity, max: Float = -.infinity) {
        self.min = min
        self.max = max
    }

    /// Widens the range by the values of the first `samples` rows (axis 0) of `tensor`.
    public mutating func observe(_ tensor: Tensor, samples: Int = .max) {
        let rows = tensor.shape.first ?? 1
        let perRow = rows == 0 ? 0 : tensor.count / rows
        let values = tensor.asFloats.prefix(Swift.min(rows, samples) * perRow)
        for v in values where !v.isNaN {
            if v < min { min = v }
            if v > max { max = v }
        }
    }

    public var isEmpty: Bool { min > max }
}

/// Fake quantization of a layer's input (`abits: b`): asymmetric, per tensor,
/// with `lo = min(min, 0)`, `hi = max(max, 0)` from calibration, and the
/// asymmetric grid of DESIGN.md "Standard definitions" (float32, half to even).
public struct ActivationQuantizer: Sendable, Equatable {
    public let bits: Int
    public let grid: QuantizationGrid
    /// `grid.apply` in one vectorised loop: the grid's integers are 0…levels, so `q − zero point` is the
    /// quotient clamped to [−zero point, levels − zero point] and rounded (NaN stays NaN, as in the grid).
    private let loop: FakeQuantization

    public init(bits: Int, range: ActivationRange) {
        self.bits = bits
        let lo = range.isEmpty ? 0 : range.min, hi = range.isEmpty ? 0 : range.max
        grid = .asymmetric(bits: bits, lo: lo, hi: hi)
        guard case let .asymmetric(levels, scale, zeroPoint) = grid else { preconditionFailure("an asymmetric grid") }
        loop = FakeQuantization(scale: scale, low: -zeroPoint, high: levels - zeroPoint, nanResult: .nan)
    }

    /// Equal grids (the loop follows from the grid; its NaN result is never equal to itself).
    public static func == (lhs: ActivationQuantizer, rhs: ActivationQuantizer) -> Bool {
        lhs.bits == rhs.bits && lhs.grid == rhs.grid
    }

    public func quantize(_ tensor: Tensor) -> Tensor {
        guard tensor.isFloat else { return tensor }
        var result = tensor
        let count = result.floats.count
        result.floats.withUnsafeMutableBufferPointer { values in
            guard let start = values.baseAddress else { return }
            loop.apply(start, start, count: count)
        }
        return result
    }

    /// For `RunOptions.inputTransforms[layer.name]`.
    public var transform: @Sendable (Tensor) -> Tensor {
        let quantizer = self
        return { quantizer.quantize($0) }
    }
}

/// Accumulates input ranges of the layers whose settings ask for `abits`, over
/// the first `sampleLimit` samples (default 256, the CLI's `--calib-samples`).
///
/// Wiring: run the first samples with `RunOptions.capture` = the input names of
/// `layersToCalibrate`, `observe` each captured input under its layer's name,
/// then pass `transforms()` as `RunOptions.inputTransforms`.
public struct ActivationCalibrator: Sendable {
    public let plan: CompressionPlan
    public let sampleLimit: Int
    public private(set) var ranges: [String: ActivationRange] = [:]
    public private(set) var samplesSeen: [String: Int] = [:]

    public init(plan: CompressionPlan, sampleLimit: Int = 256) {
        self.plan = plan
        self.sampleLimit = sampleLimit
    }

    /// Layers (in the plan's order) with `abits` set.
    public var layersToCalibrate: [String] {
        plan.layerNames.filter { plan.settings(for: $0).activationBits != nil }
    }

    /// Observes one batch of `layer`'s input; rows beyond the sample limit are ignored.
    public mutating func observe(layer: String, input: Tensor) {
        let seen = samplesSeen[layer, default: 0]
        let remaining = sampleLimit - seen
        guard remaining > 0 else { return }
        ranges[layer, default: ActivationRange()].observe(input, samples: remaining)
        samplesSeen[layer] = seen + Swift.min(remaining, input.shape.first ?? 1)
    }

    public func quantizers() -> [String: ActivationQuantizer] {
        var result: [String: ActivationQuantizer] = [:]
        for name in layersToCalibrate {
            if let bits = plan.settings(for: name).activationBits {
                result[name] = ActivationQuantizer(bits: bits, range: ranges[name] ?? ActivationRange())
            }
        }
        return result
    }

    public func transforms() -> [String: @Sendable (Tensor) -> Tensor] {
        quantizers().mapValues { $0.transform }
    }
}
