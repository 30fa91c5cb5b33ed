/// Pruning masks (DESIGN.md "Standard definitions"): `true` keeps a weight.
/// Counts are `floor(p·n)` with the product taken in float64, as Python computes it.
public enum Pruner {
    /// The mask for `settings` (all true when nothing is pruned).
    public static func mask(_ values: [Float], layer: WeightLayer, shape: [Int], settings: LayerSettings) -> [Bool] {
        switch settings.structure {
        case .twoFour: return twoFour(values, shape: shape, reductionAxis: layer.reductionAxis)
        case .unstructured: return unstructured(values, ratio: settings.prune)
        case .channel: return channel(values, shape: shape, channelAxis: layer.channelAxis, ratio: settings.prune)
        }
    }

    /// Number of items `floor(ratio·count)` pruning removes.
    public static func removedCount(ratio: Double, of count: Int) -> Int {
        guard ratio > 0 else { return 0 }
        return min(count, Int((ratio * Double(count)).rounded(.down)))
    }

    /// The floor(p·n) smallest |w| are removed; equal magnitudes go in index order.
    public static func unstructured(_ values: [Float], ratio: Double) -> [Bool] {
        var keep = [Bool](repeating: true, count: values.count)
        let removed = removedCount(ratio: ratio, of: values.count)
        guard removed > 0 else { return keep }
        // Sort keys (|w| bits, index): non-negative floats order like their bit patterns, and the
        // index breaks ties, so one integer sort gives the stable order.
        var keys = values.indices.map { UInt64(abs(values[$0]).bitPattern) << 32 | UInt64($0) }
        keys.sort()
        for key in keys.prefix(removed) { keep[Int(key & 0xFFFF_FFFF)] = false }
        return keep
    }

    /// The floor(p·C) output channels of smallest L1 norm (float64 sums) are removed; ties go in channel order.
    public static func channel(_ values: [Float], shape: [Int], channelAxis: Int, ratio: Double) -> [Bool] {
        let layout = AxisLayout(shape: shape, axis: channelAxis)
        let removed = removedCount(ratio: ratio, of: layout.length)
        var keep = [Bool](repeating: true, count: values.count)
        guard removed > 0 else { return keep }
        let norms = l1Norms(values, layout: layout)
        let order = norms.indices.sorted { norms[$0] < norms[$1] || (norms[$0] == norms[$1] && $0 < $1) }
        for c in order.prefix(removed) {
            for j in 0..<layout.sliceSize { keep[layout.index(slice: c, element: j)] = false }
        }
        return keep
    }

    /// L1 norm of each slice along the layout's axis, summed in gather order in float64.
    static func l1Norms(_ values: [Float], layout: AxisLayout) -> [Double] {
        (0..<layout.length).map { c in
            var sum = 0.0
            for j in 0..<layout.sliceSize { sum += Double(abs(values[layout.index(slice: c, element: j)])) }
            return sum
        }
    }

    /// In every group of 4 consecutive weights along the reduction axis the 2 largest |w|
    /// are kept (a trailing group of r < 4 keeps min(r, 2)); equal magnitudes keep the lower index.
    public static func twoFour(_ values: [Float], shape: [Int], reductionAxis: Int) -> [Bool] {
        let layout = AxisLayout(shape: shape, axis: reductionAxis)
        var keep = [Bool](repeating: true, count: values.count)
        for o in 0..<layout.outer {
            for i in 0..<layout.inner {
                var start = 0
                while start < layout.length {
                    let size = min(4, layout.length - start)
                    let members = (start..<(start + size)).map { (o * layout.length + $0) * layout.inner + i }
                    let ranked = members.sorted { a, b in
                        let ma = abs(values[a]), mb = abs(values[b])
                        return ma > mb || (ma == mb && a < b)
                    }
                    for index in ranked.dropFirst(min(size, 2)) { keep[index] = false }
                    start += 4
                }
            }
        }
        return keep
    }

    /// Weights `twoFour` keeps in a tensor of `shape`: 2 per full group, min(r, 2) per trailing group.
    public static func twoFourKeptCount(shape: [Int], reductionAxis: Int) -> Int {
        let length = shape[reductionAxis]
        let lines = length == 0 ? 0 : shape.reduce(1, *) / length
        return lines * ((length / 4) * 2 + min(length % 4, 2))
    }
}
