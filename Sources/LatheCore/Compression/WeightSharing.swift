/// Weight sharing by 1-D k-means (DESIGN.md "Standard definitions"): k-means++
/// seeding driven by `SplitMix64(seed: seed)`, then Lloyd iterations until the
/// assignment stops changing (at most 100). Works on the sorted values, where
/// every cluster is a contiguous run, so an iteration costs O(k log n).
///
/// Exact procedure (the numpy reference repeats it step by step):
/// - x = the values sorted ascending; if x has at most k distinct values the
///   codebook is those values (weights are unchanged).
/// - first centre x[⌊u·n⌋]; each next one: d²(i) = min over centres of (x[i]-c)²
///   in float64, running sums S(i), target u·S(n-1), the first i with S(i) > target.
/// - Lloyd: with centres sorted, x goes to the lower centre when x ≤ their midpoint;
///   a centre becomes the float64 mean of its run (prefix sums); an empty cluster keeps its centre.
/// - the codebook is the centres rounded to float32, sorted.
public enum WeightSharing {
    public static let seed: UInt64 = 0x1A7E_5EED
    public static let maxIterations = 100

    public static func codebook(_ values: [Float], clusters k: Int, seed: UInt64 = WeightSharing.seed) -> [Float] {
        let x = values.sorted()
        guard !x.isEmpty, k >= 1 else { return [] }
        var distinct: [Float] = []
        for v in x where distinct.last != v {
            distinct.append(v)
            if distinct.count > k { break }
        }
        if distinct.count <= k { return distinct }

        let xd = x.map(Double.init)
        var centres = seedCentres(xd, k: k, seed: seed)
        var prefix = [Double](repeating: 0, count: xd.count + 1)
        for i in xd.indices { prefix[i + 1] = prefix[i] + xd[i] }

        var previousEnds: [Int] = []
        for _ in 0..<maxIterations {
            let ends = runEnds(xd, centres: centres)
            if ends == previousEnds { break }
            var start = 0
            for j in centres.indices {
                let end = ends[j]
                if end > start { centres[j] = (prefix[end] - prefix[start]) / Double(end - start) }
                start = end
            }
            centres.sort()
            previousEnds = ends
        }
        return centres.map { Float($0) }.sorted()
    }

    /// k-means++ seeding on sorted values.
    static func seedCentres(_ x: [Double], k: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        let n = x.count
        let first = x[min(n - 1, Int(rng.nextUnit() * Double(n)))]
        var centres = [first]
        var d2 = x.map { ($0 - first) * ($0 - first) }
        // Running sums of d², rebuilt in the same pass that lowers d² for each new centre.
        var running = [Double](repeating: 0, count: n)
        var total = 0.0
        for i in 0..<n {
            total += d2[i]
            running[i] = total
        }
        while centres.count < k {
            let target = rng.nextUnit() * total
            // First index whose running sum exceeds the target (binary search: sums are non-decreasing).
            var lo = 0, hi = n - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if running[mid] > target { hi = mid } else { lo = mid + 1 }
            }
            let centre = x[lo]
            centres.append(centre)
            total = 0
            for i in 0..<n {
                let d = (x[i] - centre) * (x[i] - centre)
                if d < d2[i] { d2[i] = d }
                total += d2[i]
                running[i] = total
            }
        }
        return centres.sorted()
    }

    /// For sorted centres, the end (exclusive) of each centre's run of sorted x.
    static func runEnds(_ x: [Double], centres: [Double]) -> [Int] {
        var ends: [Int] = []
        ends.reserveCapacity(centres.count)
        for j in 0..<(centres.count - 1) {
            let midpoint = (centres[j] + centres[j + 1]) / 2
            ends.append(upperBound(x, midpoint))
        }
        ends.append(x.count)
        return ends
    }

    /// Number of elements ≤ value in sorted x.
    static func upperBound(_ x: [Double], _ value: Double) -> Int {
        var lo = 0, hi = x.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if x[mid] <= value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Replaces each non-zero weight marked in `keep` by its nearest codebook entry
    /// (the lower entry at an exact midpoint); zeros stay zero.
    public static func apply(_ codebook: [Float], to values: [Float], keep: [Bool]? = nil) -> [Float] {
        guard !codebook.isEmpty else { return values }
        let midpoints = (0..<(codebook.count - 1)).map { (Double(codebook[$0]) + Double(codebook[$0 + 1])) / 2 }
        var result = values
        for i in values.indices where values[i] != 0 && (keep?[i] ?? true) {
            let v = Double(values[i])
            var lo = 0, hi = midpoints.count
            while lo < hi {  // number of midpoints strictly below v
                let mid = (lo + hi) / 2
                if midpoints[mid] < v { lo = mid + 1 } else { hi = mid }
            }
            result[i] = codebook[lo]
        }
        return result
    }

    /// The non-zero surviving weights k-means is fitted on.
    static func clusteredValues(_ values: [Float], keep: [Bool]?) -> [Float] {
        values.indices.compactMap { i in values[i] != 0 && (keep?[i] ?? true) ? values[i] : nil }
    }
}
