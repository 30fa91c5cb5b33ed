/// Colour fallback: truecolor → xterm-256 (6×6×6 cube + 24 greys) → 16 ANSI → 8 → none.
/// Distances are "redmean" weighted RGB, a cheap approximation of perceived difference.
public enum ColorQuantizer {
    /// The cube's channel levels.
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// xterm's default values for the 16 ANSI colours.
    static let ansi: [(UInt8, UInt8, UInt8)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    /// RGB of a palette index under xterm's defaults.
    public static func rgb(ofIndex index: UInt8) -> (r: UInt8, g: UInt8, b: UInt8) {
        let i = Int(index)
        if i < 16 { return ansi[i] }
        if i >= 232 { let v = UInt8(8 + 10 * (i - 232)); return (v, v, v) }
        let c = i - 16
        return (UInt8(cubeLevels[c / 36]), UInt8(cubeLevels[c / 6 % 6]), UInt8(cubeLevels[c % 6]))
    }

    /// Perceptual-ish squared distance ("redmean").
    static func distance(_ a: (r: UInt8, g: UInt8, b: UInt8), _ b: (r: UInt8, g: UInt8, b: UInt8)) -> Int {
        let rm = (Int(a.r) + Int(b.r)) / 2
        let dr = Int(a.r) - Int(b.r), dg = Int(a.g) - Int(b.g), db = Int(a.b) - Int(b.b)
        // Swift's >> binds tighter than *: parenthesise the products.
        return (((512 + rm) * dr * dr) >> 8) + 4 * dg * dg + (((767 - rm) * db * db) >> 8)
    }

    /// The nearest of palette entries 16–255 (the system colours 0–15 are user-configurable
    /// and so are not used for exact colours).
    public static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let target = (r: r, g: g, b: b)
        func nearestLevel(_ v: UInt8) -> Int {
            var best = 0
            for (i, level) in cubeLevels.enumerated() where abs(level - Int(v)) < abs(cubeLevels[best] - Int(v)) { best = i }
            return best
        }
        let cube = 16 + 36 * nearestLevel(r) + 6 * nearestLevel(g) + nearestLevel(b)
        let average = (Int(r) + Int(g) + Int(b)) / 3
        let greyStep = min(23, max(0, (average - 3) / 10))
        var best = cube
        var bestDistance = distance(target, rgb(ofIndex: UInt8(cube)))
        for step in max(0, greyStep - 1)...min(23, greyStep + 1) {
            let d = distance(target, rgb(ofIndex: UInt8(232 + step)))
            if d < bestDistance { best = 232 + step; bestDistance = d }
        }
        return UInt8(best)
    }

    /// The nearest of the 16 ANSI colours.
    public static func nearest16(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 { nearest(in: 0..<16, r, g, b) }

    /// The nearest of the 8 basic ANSI colours.
    public static func nearest8(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 { nearest(in: 0..<8, r, g, b) }

    private static func nearest(in range: Range<Int>, _ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        var best = range.lowerBound
        var bestDistance = Int.max
        for i in range {
            let d = distance((r, g, b), ansi[i])
            if d < bestDistance { best = i; bestDistance = d }
        }
        return UInt8(best)
    }

    /// Whether a palette entry is dark enough that light text reads best on it.
    public static func isDark(index: UInt8) -> Bool {
        let c = rgb(ofIndex: index)
        return 299 * Int(c.r) + 587 * Int(c.g) + 114 * Int(c.b) < 128_000
    }

    /// Linear blend of two colours, `t` in 0...1.
    static func mix(_ a: (r: UInt8, g: UInt8, b: UInt8), _ b: (r: UInt8, g: UInt8, b: UInt8), _ t: Double) -> ThemeColor {
        func lerp(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) + (Double(y) - Double(x)) * t).rounded()) }
        return .rgb(lerp(a.r, b.r), lerp(a.g, b.g), lerp(a.b, b.b))
    }
}
