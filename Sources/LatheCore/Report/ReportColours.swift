import Foundation

/// The report's palette: a sequential ramp from "harmless" (pale) to "hurts"
/// (deep red), legible in print and for the common colour-vision deficiencies
/// (light to dark as well as green to red), and the series colours.
public enum ReportColours {
    public static let before = "#4c78a8"
    public static let after = "#e45756"
    /// An "after" histogram the plan leaves as it was.
    public static let unchanged = "#9aa3b2"
    public static let uniform = "#4c78a8"
    public static let config = "#d62728"
    public static let pareto = "#f58518"
    /// Cells without a measurement.
    public static let missing = "#e8e8e8"

    /// Ramp stops (t, r, g, b), t ∈ [0, 1].
    private static let stops: [(Double, Double, Double, Double)] = [
        (0.0, 0xf7, 0xfc, 0xf5),
        (0.25, 0xfe, 0xe0, 0x8b),
        (0.5, 0xfd, 0xae, 0x61),
        (0.75, 0xf4, 0x6d, 0x43),
        (1.0, 0xa5, 0x00, 0x26),
    ]

    /// The ramp's colour at `t` (clamped to 0...1; NaN counts as 1).
    public static func ramp(_ t: Double) -> String {
        let t = t.isNaN ? 1 : Swift.min(1, Swift.max(0, t))
        var lower = stops[0], upper = stops[stops.count - 1]
        for (a, b) in zip(stops, stops.dropFirst()) where t >= a.0 && t <= b.0 {
            lower = a
            upper = b
            break
        }
        let f = upper.0 > lower.0 ? (t - lower.0) / (upper.0 - lower.0) : 0
        func mix(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
        return String(format: "#%02x%02x%02x", mix(lower.1, upper.1), mix(lower.2, upper.2), mix(lower.3, upper.3))
    }

    /// Text on a ramp colour: white on the dark end, near-black elsewhere.
    public static func text(on t: Double) -> String { t > 0.62 ? "#ffffff" : "#1f1f1f" }

    /// Every stop as an SVG linearGradient's stops (for legends).
    public static var gradientStops: String {
        stops.map { stop in
            "<stop offset=\"\(ReportFormat.coordinate(stop.0 * 100))%\" stop-color=\"\(ramp(stop.0))\"/>"
        }.joined()
    }
}
