/// Partial results of one chunk of a tensor (`CheckpointScan`), merged in chunk order.
protocol ChunkPart: Sendable {
    func merged(_ next: Self) -> Self
}

/// Pass 1: range (with NaN, as numpy's min/max; and of the finite values, for the histogram),
/// Σw, Σw², zeros, and Σ(w − mean)² about the chunk's own mean (a second loop over the decoded
/// chunk, as `WeightStats` does over a whole tensor), chunks merged by Chan et al.'s pairwise
/// update, so the variance is known after one decoding pass.
struct RangeSums: ChunkPart {
    var count = 0
    var min = Float.infinity
    var max = -Float.infinity
    var finiteMin = Double.infinity
    var finiteMax = -Double.infinity
    var sawNaN = false
    var sum = 0.0
    var squares = 0.0
    var zeros = 0
    /// Σ(w − m)² with m the mean of the values merged so far.
    var centred = 0.0

    var mean: Double { count > 0 ? sum / Double(count) : 0 }

    init(_ values: UnsafeBufferPointer<Float>) {
        count = values.count
        for v in values {
            if v.isNaN { sawNaN = true }
            if v < min { min = v }
            if v > max { max = v }
            if v == 0 { zeros += 1 }
            if v.isFinite {
                let d = Double(v)
                if d < finiteMin { finiteMin = d }
                if d > finiteMax { finiteMax = d }
            }
            let d = Double(v)
            sum += d
            squares += d * d
        }
        let m = mean
        for v in values {
            let d = Double(v) - m
            centred += d * d
        }
    }

    func merged(_ next: RangeSums) -> RangeSums {
        var result = self
        result.count += next.count
        result.min = Swift.min(min, next.min)
        result.max = Swift.max(max, next.max)
        result.finiteMin = Swift.min(finiteMin, next.finiteMin)
        result.finiteMax = Swift.max(finiteMax, next.finiteMax)
        result.sawNaN = sawNaN || next.sawNaN
        result.sum += next.sum
        result.squares += next.squares
        result.zeros += next.zeros
        let (na, nb) = (Double(count), Double(next.count))
        let delta = next.mean - mean
        result.centred = centred + next.centred + (na + nb > 0 ? delta * delta * na * nb / (na + nb) : 0)
        return result
    }
}

/// Pass 2: Σ(w − mean)⁴, the histogram counts against the tensor's edges, weights more than
/// 3 std from the mean, and for each bit-width the squared error of symmetric per-row min–max
/// quantization (`UniformQuantizer`'s grid and rounding, exactly), whole rows being inside one chunk.
struct Moments: ChunkPart {
    var fourths = 0.0
    var counts: [Int]
    var outliers = 0
    var noise: [Int: Double] = [:]

    init(_ values: UnsafeBufferPointer<Float>, mean: Double, std: Double, edges: [Double], rowLength: Int, bits: [Int]) {
        let limit = 3 * std
        for v in values {
            let d = Double(v) - mean
            let d2 = d * d
            fourths += d2 * d2
            if abs(d) > limit { outliers += 1 }
        }
        counts = [Int](repeating: 0, count: Swift.max(0, edges.count - 1))
        Histogram.count(values, edges: edges, into: &counts)
        guard !bits.isEmpty, rowLength > 0 else { return }
        for b in bits { noise[b] = 0 }
        var rowStart = 0
        while rowStart + rowLength <= values.count {
            let row = UnsafeBufferPointer(rebasing: values[rowStart..<(rowStart + rowLength)])
            var largest: Float = 0
            var magnitude = 0.0
            for w in row {
                largest = Swift.max(largest, abs(w))
                magnitude += Double(abs(w))
            }
            for b in bits {
                var error = 0.0
                if b == 1 {
                    // sign(w)·mean|w|, sign(0) = +.
                    let level = Float(magnitude / Double(rowLength))
                    for w in row {
                        let e = Double(w) - Double(w < 0 ? -level : level)
                        error += e * e
                    }
                } else {
                    let grid = QuantizationGrid.symmetric(bits: b, maxMagnitude: largest)
                    for w in row {
                        let e = Double(w) - Double(grid.apply(w))
                        error += e * e
                    }
                }
                noise[b, default: 0] += error
            }
            rowStart += rowLength
        }
    }

    func merged(_ next: Moments) -> Moments {
        var result = self
        result.fourths += next.fourths
        for i in result.counts.indices where i < next.counts.count { result.counts[i] += next.counts[i] }
        result.outliers += next.outliers
        result.noise.merge(next.noise, uniquingKeysWith: +)
        return result
    }
}
