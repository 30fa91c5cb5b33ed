import Foundation

/// Metric against size: uniform plans as blue dots, the configuration's plan as a
/// red diamond, a search's Pareto front as an orange stepped line. Size runs on a
/// log scale (fp32 to int4 is 8×, a pruned plan further).
public enum SVGScatterChart {
    static let width = 720.0
    static let height = 400.0
    static let margin = (left: 72.0, right: 24.0, top: 20.0, bottom: 52.0)

    /// Only the points with a value are drawn; nil when fewer than one has one.
    public static func render(_ tradeoff: ReportTradeoff) -> String? {
        guard let metric = tradeoff.metric else { return nil }
        let points = tradeoff.points.filter { $0.value?.isFinite == true && $0.sizeBytes > 0 }
        guard !points.isEmpty else { return nil }
        let sizes = points.map { log2(Double($0.sizeBytes)) }
        let values = points.compactMap(\.value)
        var xLow = (sizes.min() ?? 0) - 0.25, xHigh = (sizes.max() ?? 1) + 0.25
        if xHigh - xLow < 1 { xLow -= 0.5; xHigh += 0.5 }
        let (yLow, yHigh) = yRange(values, metric: metric)
        let plotW = width - margin.left - margin.right
        let plotH = height - margin.top - margin.bottom
        func px(_ size: Int) -> Double { margin.left + (log2(Double(size)) - xLow) / (xHigh - xLow) * plotW }
        func py(_ value: Double) -> Double { margin.top + (1 - (value - yLow) / (yHigh - yLow)) * plotH }
        let c = ReportFormat.coordinate

        var svg = "<svg id=\"tradeoff\" class=\"scatter\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"
            + "<title>\(HTMLEscaping.escape("\(metric.label) against deployed size"))</title>"
            + "<rect class=\"plot\" x=\"\(c(margin.left))\" y=\"\(c(margin.top))\" width=\"\(c(plotW))\" "
            + "height=\"\(c(plotH))\"/>"
        // Grid and ticks.
        for tick in yTicks(low: yLow, high: yHigh) {
            let y = py(tick)
            svg += "<line class=\"grid\" x1=\"\(c(margin.left))\" y1=\"\(c(y))\" x2=\"\(c(margin.left + plotW))\" "
                + "y2=\"\(c(y))\"/><text class=\"tick\" x=\"\(c(margin.left - 6))\" y=\"\(c(y + 4))\" "
                + "text-anchor=\"end\">\(HTMLEscaping.escape(ReportFormat.metric(tick, metric)))</text>"
        }
        for bytes in xTicks(lowLog2: xLow, highLog2: xHigh) {
            let x = px(bytes)
            svg += "<line class=\"grid\" x1=\"\(c(x))\" y1=\"\(c(margin.top))\" x2=\"\(c(x))\" "
                + "y2=\"\(c(margin.top + plotH))\"/><text class=\"tick\" x=\"\(c(x))\" "
                + "y=\"\(c(margin.top + plotH + 16))\" text-anchor=\"middle\">\(ReportFormat.bytes(bytes))</text>"
        }
        svg += "<text class=\"axis\" x=\"\(c(margin.left + plotW / 2))\" y=\"\(c(height - 10))\" "
            + "text-anchor=\"middle\">deployed size (log scale)</text>"
            + "<text class=\"axis\" transform=\"translate(16 \(c(margin.top + plotH / 2))) rotate(-90)\" "
            + "text-anchor=\"middle\">\(HTMLEscaping.escape(metric.label))"
            + "\(metric.higherIsBetter ? " (higher is better)" : " (lower is better)")</text>"

        // The front: points by size, joined by steps (each point's value holds until the next size).
        let front = points.filter { $0.kind == .pareto }.sorted { $0.sizeBytes < $1.sizeBytes }
        if front.count > 1 {
            var d = ""
            for (i, point) in front.enumerated() {
                guard let v = point.value else { continue }
                d += i == 0 ? "M\(c(px(point.sizeBytes))) \(c(py(v)))" : "H\(c(px(point.sizeBytes)))V\(c(py(v)))"
            }
            svg += "<path class=\"front\" d=\"\(d)\" fill=\"none\" stroke=\"\(ReportColours.pareto)\"/>"
        }
        for point in points.sorted(by: { order($0.kind) < order($1.kind) }) {
            guard let value = point.value else { continue }
            let x = px(point.sizeBytes), y = py(value)
            let tip = "\(point.label): \(ReportFormat.metric(value, metric)) at \(ReportFormat.bytes(point.sizeBytes)) "
                + "(\(ReportFormat.grouped(point.sizeBytes)) bytes)"
            svg += "<g class=\"point \(point.kind.rawValue)\" data-kind=\"\(point.kind.rawValue)\" "
                + "data-size=\"\(point.sizeBytes)\" data-value=\"\(ReportFormat.exact(value))\">"
                + "<title>\(HTMLEscaping.escape(tip))</title>"
            switch point.kind {
            case .uniform:
                svg += "<circle cx=\"\(c(x))\" cy=\"\(c(y))\" r=\"5\" fill=\"\(ReportColours.uniform)\"/>"
                    + "<text class=\"label\" x=\"\(c(x + 8))\" y=\"\(c(y - 7))\">\(HTMLEscaping.escape(point.label))</text>"
            case .config:
                svg += "<path d=\"M\(c(x)) \(c(y - 9))L\(c(x + 9)) \(c(y))L\(c(x)) \(c(y + 9))L\(c(x - 9)) \(c(y))Z\" "
                    + "fill=\"\(ReportColours.config)\" stroke=\"#ffffff\" stroke-width=\"1.5\"/>"
                    + "<text class=\"label config\" x=\"\(c(x + 11))\" y=\"\(c(y + 16))\">"
                    + "\(HTMLEscaping.escape(point.label))</text>"
            case .pareto:
                svg += "<circle cx=\"\(c(x))\" cy=\"\(c(y))\" r=\"4\" fill=\"\(ReportColours.pareto)\" "
                    + "stroke=\"#ffffff\" stroke-width=\"1\"/>"
            }
            svg += "</g>"
        }
        return svg + "</svg>"
    }

    /// Pareto points first, the configuration's marker last (on top).
    static func order(_ kind: ReportTradeoff.Kind) -> Int {
        switch kind {
        case .pareto: return 0
        case .uniform: return 1
        case .config: return 2
        }
    }

    /// The values' range with a little room, fractions kept within 0...1.
    static func yRange(_ values: [Double], metric: ScoreMetric) -> (Double, Double) {
        var low = values.min() ?? 0, high = values.max() ?? 1
        let span = Swift.max(high - low, Swift.max(abs(high), 1e-6) * 0.02)
        low -= span * 0.08
        high += span * 0.08
        if metric.countsPositions {
            low = Swift.max(0, low)
            high = Swift.min(1, high)
            if high <= low { high = low + 0.01 }
        }
        return (low, high)
    }

    /// Sizes of 1, 2 and 5 times a power of ten inside the range (log2 bytes); only powers of ten when
    /// that still leaves three or more.
    static func xTicks(lowLog2: Double, highLog2: Double) -> [Int] {
        let low = pow(2, lowLog2), high = pow(2, highLog2)
        guard low.isFinite, high.isFinite, high > low else { return [] }
        var all: [Int] = []
        var decade = pow(10, floor(log10(Swift.max(low, 1))))
        while decade <= high, all.count < 40 {
            for m in [1.0, 2, 5] where decade * m >= low && decade * m <= high { all.append(Int(decade * m)) }
            decade *= 10
        }
        let decades = all.filter { String($0).dropFirst().allSatisfy { $0 == "0" } && String($0).first == "1" }
        return decades.count >= 3 ? decades : all
    }

    /// About five round ticks inside low...high.
    static func yTicks(low: Double, high: Double) -> [Double] {
        let raw = (high - low) / 5
        guard raw > 0, raw.isFinite else { return [low] }
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var tick = (low / step).rounded(.up) * step
        while tick <= high + step * 1e-9, ticks.count < 12 {
            ticks.append(tick)
            tick += step
        }
        return ticks
    }
}
