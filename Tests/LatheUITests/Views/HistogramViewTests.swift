import LatheCore
import Testing
@testable import LatheUI

/// The histogram alone, against a small buffer: bar heights, the pruned bins' colour and
/// the marks on the axis.
@Suite struct HistogramViewTests {
    /// Four bins over [-1, 1] with counts 1, 2, 4, 8.
    static let histogram = Histogram(edges: [-1, -0.5, 0, 0.5, 1], counts: [1, 2, 4, 8])

    static func draw(_ analysis: LayerAnalysis?, logScale: Bool = false) -> Buffer {
        var buffer = Buffer(width: 4, height: 3)
        HistogramView.draw(histogram, analysis: analysis, logScale: logScale, area: Rect(x: 0, y: 0, width: 4, height: 2),
                           axis: Rect(x: 0, y: 2, width: 4, height: 1), into: &buffer, glyphs: .unicode)
        return buffer
    }

    @Test func barsScaleToTheTallestColumn() {
        // Heights 0.25, 0.5, 1 and 2 rows: an eighth-block ladder below the full blocks.
        #expect(Self.draw(nil).renderText() == "   █\n▂▄██\n────")
    }

    @Test func prunedBinsAreRedAndTheThresholdIsMarkedOnBothSides() {
        let analysis = LayerAnalysis(settings: LayerSettings(prune: 0.5), pruneThreshold: 0.5)
        let buffer = Self.draw(analysis)
        #expect(buffer.renderText() == "   █\n▂▄██\n─↑─↑")
        // Bins centred within ±0.5 (the middle two) are the ones pruning zeroes.
        #expect((0..<4).map { buffer[x: $0, y: 1].style } == [.accent, .bad, .bad, .accent])
    }

    @Test func gridTicksAndCentroidsLandInTheirColumns() {
        let grid = LayerAnalysis(settings: LayerSettings(bits: .integer(2)), grid: [-0.9, 0.1])
        #expect(Self.draw(grid).renderText().hasSuffix("\n┴─┴─"))
        let shared = LayerAnalysis(settings: LayerSettings(clusters: 2), centroids: [-0.3, 0.8])
        #expect(Self.draw(shared).renderText().hasSuffix("\n─•─•"))
    }

    @Test func columnsAverageTheirBins() {
        #expect(HistogramView.columnCounts(Self.histogram, columns: 2) == [1.5, 6])
        #expect(HistogramView.column(of: 1, histogram: Self.histogram, columns: 4) == 3)
        #expect(HistogramView.column(of: -7, histogram: Self.histogram, columns: 4) == 0)
    }
}
