/// A histogram with equal-width bins, computed exactly as `np.histogram(w, bins=B)`
/// does on `w.astype(np.float64)`: edges are `linspace(min, max, B + 1)` in Double,
/// every bin is half-open `[e_i, e_{i+1})` except the last, which is closed.
/// A constant tensor gets numpy's range `(v - 0.5, v + 0.5)`; an empty one `(0, 1)`.
///
/// Non-finite values (NaN, ±inf), for which numpy refuses to autodetect a range,
/// are left out of both the range and the counts, so a damaged tensor still shows
/// the shape of its finite part.
public struct Histogram: Sendable, Equatable {
    public static let defaultBins = 64

    /// `bins + 1` ascending edges.
    public var edges: [Double]
    /// `bins` counts; their sum is the number of finite values.
    public var counts: [Int]

    public init(edges: [Double], counts: [Int]) {
        self.edges = edges
        self.counts = counts
    }

    public var bins: Int { counts.count }

    /// Histogram of `values` in `bins` equal-width bins (`bins` is clamped to at least 1).
    public init(_ values: [Float], bins: Int = Histogram.defaultBins) {
        var lo = Double.infinity
        var hi = -Double.infinity
        for v in values where v.isFinite {
            let d = Double(v)
            if d < lo { lo = d }
            if d > hi { hi = d }
        }
        let edges = Histogram.edges(finiteMin: lo, finiteMax: hi, bins: bins)
        var counts = [Int](repeating: 0, count: edges.count - 1)
        values.withUnsafeBufferPointer { Histogram.count($0, edges: edges, into: &counts) }
        self.init(edges: edges, counts: counts)
    }

    /// The `bins + 1` edges for finite values spanning `finiteMin...finiteMax` (min > max:
    /// there are none), as numpy chooses them. Streaming callers find the range in one pass and
    /// `count` each chunk against these edges in the next.
    public static func edges(finiteMin: Double, finiteMax: Double, bins: Int) -> [Double] {
        var lo = finiteMin, hi = finiteMax
        if lo > hi {  // no finite values
            lo = 0
            hi = 1
        } else if lo == hi {
            lo -= 0.5
            hi += 0.5
        }
        return linspace(lo, hi, count: Swift.max(1, bins) + 1)
    }

    /// Adds the finite `values` to `counts` (one per bin of `edges`). Runs on raw buffers: with
    /// array subscripts the bounds and uniqueness checks cost more than the binning itself.
    public static func count(_ values: UnsafeBufferPointer<Float>, edges: [Double], into counts: inout [Int]) {
        let bins = edges.count - 1
        guard let lo = edges.first, let hi = edges.last, bins > 0, counts.count >= bins else { return }
        let width = hi - lo
        let scale = Double(bins)
        edges.withUnsafeBufferPointer { edge in
            counts.withUnsafeMutableBufferPointer { count in
                for v in values where v.isFinite {
                    let x = Double(v)
                    // numpy's fast path: a first guess from the linear map, then corrected
                    // against the actual edges so the result agrees with the edges to the last ulp.
                    let guess = ((x - lo) / width) * scale
                    var index = guess >= Double(bins) ? bins - 1 : (guess > 0 ? Int(guess) : 0)
                    if x < edge[index], index > 0 { index -= 1 }
                    if index != bins - 1, x >= edge[index + 1] { index += 1 }
                    count[index] += 1
                }
            }
        }
    }

    public init(_ tensor: Tensor, bins: Int = Histogram.defaultBins) {
        self.init(tensor.asFloats, bins: bins)
    }

    /// numpy's `linspace(start, stop, count)` (endpoint included, last element exactly `stop`).
    static func linspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
        guard count > 1 else { return [start] }
        let step = (stop - start) / Double(count - 1)
        var result = (0..<count).map { Double($0) * step + start }
        result[count - 1] = stop
        return result
    }
}
