import Foundation

/// Data-free bit allocation for weights-only checkpoints.
///
/// The error measure is the param-weighted SQNR over the layers, taken in the power domain:
/// `−10·log10(Σ pᵢ·10^(−SQNRᵢ/10) / Σ pᵢ)` with `pᵢ` the layer's parameter count (an exact
/// layer adds no noise; all exact is +inf). It is the SQNR of the whole checkpoint when every
/// weight carries the same signal power, and the explorer's status bar shows it for weights-only
/// files in place of accuracy.
///
/// `suggest` chooses per-layer bit-widths whose param-weighted average is at most the target:
/// every layer starts at the fewest bits offered; then, greedily, the one-step raise (a layer to
/// its next offered bit-width) with the largest SQNR gain per bit — the drop of that layer's
/// noise-to-signal ratio `10^(−SQNR/10)` per added bit, so per added bit·parameter of the
/// weighted measure above — is taken among the raises that still fit the budget, earlier layers
/// winning ties, until none fits or none gains.
public enum BitAllocation {
    public static func noiseRatio(_ sqnrDB: Double) -> Double {
        sqnrDB.isInfinite && sqnrDB > 0 ? 0 : Foundation.pow(10, -sqnrDB / 10)
    }

    /// The param-weighted SQNR (dB) of layers with these parameter counts and SQNRs.
    public static func weightedSQNR(params: [Int], sqnrDB: [Double]) -> Double {
        let total = params.reduce(0, +)
        guard total > 0 else { return .infinity }
        var noise = 0.0
        for (p, db) in zip(params, sqnrDB) { noise += Double(p) * noiseRatio(db) }
        guard noise > 0 else { return .infinity }
        return -10 * Foundation.log10(noise / Double(total))
    }

    /// Param-weighted average bits of an assignment.
    public static func averageBits(params: [Int], bits: [Int]) -> Double {
        let total = params.reduce(0, +)
        guard total > 0 else { return 0 }
        return Double(zip(params, bits).reduce(0) { $0 + $1.0 * $1.1 }) / Double(total)
    }

    /// One bit-width per layer (see the type's description). `sqnrDB[i][b]` must hold every offered `b`.
    public static func suggest(params: [Int], sqnrDB: [[Int: Double]], offered: [Int], targetBits: Double) throws -> [Int] {
        let levels = Array(Set(offered)).sorted()
        guard let lowest = levels.first else { throw LatheError.badInput("--target-bits needs at least one bit-width in --bits") }
        var step = [Int](repeating: 0, count: params.count)
        let total = params.reduce(0, +)
        let budget = targetBits * Double(total)
        var used = lowest * total
        guard Double(used) <= budget + 1e-9 * Double(max(1, total)) else {
            throw LatheError.badInput("--target-bits \(targetBits) is below the fewest bits offered (\(lowest)); "
                + "add a smaller bit-width to --bits or raise the target")
        }
        while true {
            var best: (layer: Int, ratio: Double)? = nil
            for layer in params.indices where step[layer] + 1 < levels.count {
                let current = levels[step[layer]], next = levels[step[layer] + 1]
                let cost = params[layer] * (next - current)
                guard Double(used + cost) <= budget + 1e-9 * Double(max(1, total)) else { continue }
                let gain = noiseRatio(sqnrDB[layer][current] ?? .infinity) - noiseRatio(sqnrDB[layer][next] ?? .infinity)
                let ratio = gain / Double(next - current)
                guard ratio > 0 else { continue }
                if let current = best, ratio <= current.ratio { continue }
                best = (layer, ratio)
            }
            guard let chosen = best else { break }
            used += params[chosen.layer] * (levels[step[chosen.layer] + 1] - levels[step[chosen.layer]])
            step[chosen.layer] += 1
        }
        return step.map { levels[$0] }
    }
}
