/// Overflow-checked sizes from shapes read out of files, so a corrupt header
/// becomes an error message instead of a trap or a giant allocation.
enum ElementCount {
    /// The number of elements of `dims`, or nil when a dimension is negative or the product of the
    /// non-zero dimensions overflows. A zero does not excuse the others: code downstream multiplies
    /// shapes in other orders (a GGUF shape reversed, a row length `count / rows`), and
    /// `[0, 2^62, 2^62]` read backwards traps.
    static func of(_ dims: [Int]) -> Int? {
        var total = 1
        var empty = false
        for dim in dims {
            guard dim >= 0 else { return nil }
            if dim == 0 { empty = true; continue }
            let (product, overflow) = total.multipliedReportingOverflow(by: dim)
            guard !overflow else { return nil }
            total = product
        }
        return empty ? 0 : total
    }

    /// Bytes `dims` elements of `width` bytes occupy, or nil on a negative dimension or overflow.
    static func bytes(_ dims: [Int], width: Int) -> Int? {
        guard let count = of(dims) else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: width)
        return overflow ? nil : product
    }
}
