import Foundation
import LatheCore
import Testing
@testable import LatheUI

/// Whole-screen snapshots at 80×24 and 160×50, and the forms the status bar promises.
@Suite struct ExplorerSnapshotTests {
    typealias F = ExplorerFixture

    /// The fixture after a few edits, with the engine's numbers, the stem's marks and a sweep.
    static func busyState(width: Int, height: Int) throws -> AppState {
        var state = F.state(width: width, height: height)
        F.run(&state, F.keys("hhhhh]]]]"))  // stem: int5, prune 20%
        F.run(&state, F.keys("j cc"))  // mark blocks.0.depthwise, 64 clusters on it
        F.run(&state, F.keys("{Esc}g"))
        let stem = state.layers[0]
        let weight = Tensor(shape: stem.shape, floats: F.weights(count: stem.params, seed: 0))
        let analysis = try LayerAnalyzer.analyze(weight: weight, layer: F.weightLayers[0],
                                                 settings: state.plan.settings(for: stem.name))
        F.run(&state, [.layerAnalysis(name: stem.name, analysis: analysis), .sensitivity(F.sensitivity())])
        F.run(&state, [.engine(F.engine(for: state, value: 0.9521, done: 2000, final: true))])
        return state
    }

    @Test func initialScreen80x24() {
        var state = F.state()
        F.run(&state, [.layerAnalysis(name: "stem.conv.weight", analysis: LayerAnalysis(settings: .identity))])
        F.run(&state, [.engine(F.engine(for: state, value: 0.9615, done: 2000, final: true))])
        Golden.check(ExplorerView.renderText(state, width: 80, height: 24), named: "explorer-initial-80x24")
    }

    @Test func editedScreen80x24() throws {
        let state = try Self.busyState(width: 80, height: 24)
        Golden.check(ExplorerView.renderText(state, width: 80, height: 24), named: "explorer-edited-80x24")
    }

    @Test func editedScreen160x50() throws {
        let state = try Self.busyState(width: 160, height: 50)
        Golden.check(ExplorerView.renderText(state, width: 160, height: 50), named: "explorer-edited-160x50")
    }

    @Test func streamingWithASweepRunning80x24() throws {
        var state = F.state()
        F.run(&state, F.keys("jjh"))
        let job = JobProgress(id: 1, kind: .sweep, phase: "blocks.1.pointwise.weight bits 3", done: 23, total: 60,
                            state: .running)
        F.run(&state, [.engine(F.engine(for: state, value: 0.9563, done: 640, final: false, job: job))])
        state.ticks = 3
        Golden.check(ExplorerView.renderText(state, width: 80, height: 24), named: "explorer-streaming-80x24")
    }

    @Test func asciiGlyphs80x24() throws {
        let state = try Self.busyState(width: 80, height: 24)
        let text = ExplorerView.renderText(state, width: 80, height: 24, glyphs: .ascii)
        let allASCII = text.unicodeScalars.allSatisfy { $0.isASCII }
        #expect(allASCII)
        Golden.check(text, named: "explorer-ascii-80x24")
    }

    @Test func helpOverlay80x24and160x50() {
        var state = F.state()
        F.run(&state, F.keys("?"))
        Golden.check(ExplorerView.renderText(state, width: 80, height: 24), named: "help-80x24")
        state.size = TerminalSize(width: 160, height: 50)
        Golden.check(ExplorerView.renderText(state, width: 160, height: 50), named: "help-160x50")
    }

    @Test func heatmap80x24and160x50() throws {
        var state = try Self.busyState(width: 80, height: 24)
        F.run(&state, F.keys("jjHlll"))
        Golden.check(ExplorerView.renderText(state, width: 80, height: 24), named: "heatmap-80x24")
        state.size = TerminalSize(width: 160, height: 50)
        Golden.check(ExplorerView.renderText(state, width: 160, height: 50), named: "heatmap-160x50")
    }

    @Test func exportPromptShowsTheDefaultPathAndCursor() throws {
        var state = try Self.busyState(width: 80, height: 24)
        F.run(&state, F.keys("e"))
        var buffer = Buffer(width: 80, height: 24)
        ExplorerView.render(state, into: &buffer, glyphs: .unicode)
        let last = buffer.renderText().split(separator: "\n", omittingEmptySubsequences: false)[23]
        #expect(last == " Export configuration to: mobilenet.lathe.yaml")
        #expect(buffer.cursor == Point(x: 46, y: 23))
        F.run(&state, F.keys("{Home}{Right}"))
        buffer = Buffer(width: 80, height: 24)
        ExplorerView.render(state, into: &buffer, glyphs: .unicode)
        #expect(buffer.cursor == Point(x: 27, y: 23))
        Golden.check(buffer.renderText(), named: "export-prompt-80x24")
    }

    @Test func tooSmallScreenSaysSoAndHowToQuit() {
        var state = F.state()
        F.run(&state, [.resize(TerminalSize(width: 30, height: 8))])
        let text = ExplorerView.renderText(state, width: 30, height: 8)
        Golden.check(text, named: "too-small-30x8")
        #expect(text.contains("Terminal too small"))
        #expect(text.contains("q quits"))
        // Tiny and empty screens draw without trapping.
        for (w, h) in [(0, 0), (1, 1), (5, 2), (59, 24), (80, 13)] {
            _ = ExplorerView.renderText(state, width: w, height: h)
        }
    }

    @Test func statusBarForms() throws {
        var state = F.state()
        // Before any report.
        var line = statusLine(state)
        #expect(line.contains("top-1 …"))
        // Final.
        F.run(&state, [.engine(F.engine(for: state, value: 0.9615, done: 2000, final: true))])
        line = statusLine(state)
        #expect(line.range(of: #"top-1 96\.2%  Δ\+0\.0 vs fp32"#, options: .regularExpression) != nil, "\(line)")
        #expect(line.range(of: #"size 55\.2 KB \(1\.0×\) $"#, options: .regularExpression) != nil, "\(line)")
        #expect(!line.contains("eval"))
        // Streaming after an edit: change, interval, samples.
        F.run(&state, F.keys("hh"))
        line = statusLine(state)
        #expect(line.contains("top-1 …"))  // the old number is not shown against the new plan
        F.run(&state, [.engine(F.engine(for: state, value: 0.9500, done: 640, final: false))])
        line = statusLine(state, width: 160)
        // 0.95 − 0.9615 = −1.15 points (−1.1500000000000021 in binary: rounds to −1.2).
        #expect(line.contains("top-1 95.0%  Δ-1.2  95% [-2.4, -0.3]  eval 640/2000"), "\(line)")
        // Without labels the metric is agreement; other metrics in their own units.
        state.session.metric = .agree
        #expect(statusLine(state).contains("agree 95.0%"))
        state.session.metric = .mse
        #expect(statusLine(state).contains("MSE 0.95"), "\(statusLine(state))")
        state.session.metric = .agree
        // A job's progress bar.
        let job = JobProgress(id: 2, kind: .search, phase: "path 3", done: 5, total: 20, state: .running)
        F.run(&state, [.engine(F.engine(for: state, value: 0.95, done: 2000, final: true, job: job))])
        line = statusLine(state, width: 120)
        #expect(line.contains("search [██▌       ] 5/20"), "\(line)")
        // An evaluation error replaces the number.
        var failed = F.engine(for: state, value: nil, done: 0, final: false)
        failed.error = "classifier.weight: rank: only 2-D"
        F.run(&state, [.engine(failed)])
        #expect(statusLine(state).contains("agree error: classifier.weight"))
    }

    @Test func headerSaysWhichMetricScoresAndWhy() {
        var state = F.state()
        state.session.metric = .sqnr
        state.session.metricReason = "output [N, 1] has no class axis with 2 or more classes"
        var buffer = Buffer(width: 200, height: 24)
        state.size = TerminalSize(width: 200, height: 24)
        ExplorerView.render(state, into: &buffer, glyphs: .unicode)
        let header = String(buffer.renderText(keepTrailingSpaces: true).split(separator: "\n")[0])
        #expect(header.contains("SQNR: output [N, 1] has no class axis with 2 or more classes"), "\(header)")
    }

    func statusLine(_ state: AppState, width: Int = 80) -> String {
        var s = state
        s.size = TerminalSize(width: width, height: 24)
        var buffer = Buffer(width: width, height: 24)
        ExplorerView.render(s, into: &buffer, glyphs: .unicode)
        return String(buffer.renderText(keepTrailingSpaces: true).split(separator: "\n")[22])
    }

    @Test func histogramMarksComeFromTheAnalysis() throws {
        let state = try Self.busyState(width: 160, height: 50)
        let analysis = try #require(state.analyses["stem.conv.weight"])
        // int5 symmetric: 31 levels; the threshold is a pruned magnitude.
        #expect(analysis.gridLevels == 31)
        #expect(analysis.grid.count == 31)
        #expect(analysis.pruneThreshold != nil)
        let text = ExplorerView.renderText(state, width: 160, height: 50)
        #expect(text.contains("widest channel's grid: 31 levels"))
        #expect(text.contains("↑ pruned |w| ≤ "))
        // The axis row (between the range labels) carries the two threshold arrows, and the
        // grid ticks when they fit (31 levels need 62 columns).
        let axis = text.split(separator: "\n").first { $0.contains("-0.2072 ") && $0.contains(" 0.2416") }
        #expect(axis.map { $0.filter { $0 == "↑" }.count } == 2)
        let narrow = ExplorerView.renderText(try Self.busyState(width: 80, height: 24), width: 80, height: 24)
        let narrowAxis = narrow.split(separator: "\n").first { $0.contains("-0.2072 ") && $0.contains(" 0.2416") }
        // 31 ticks less the columns two levels share and the two the arrows take.
        #expect((narrowAxis.map { $0.filter { $0 == "┴" }.count } ?? 0) >= 26)
    }
}

@Suite struct ExplorerStyleTests {
    typealias F = ExplorerFixture

    @Test func heatmapCellsUseTheHeatScaleAndTheCursorIsSelected() throws {
        var state = try ExplorerSnapshotTests.busyState(width: 80, height: 24)
        F.run(&state, F.keys("jjHlll"))
        var buffer = Buffer(width: 80, height: 24)
        ExplorerView.render(state, into: &buffer, glyphs: .unicode)
        Golden.check(buffer.renderStyles(), named: "heatmap-80x24-styles")
        // The stem's 2-bit cell is the largest drop: the hottest colour.
        let geometry = HeatmapGeometry(layout: state.layout, state: state, levels: 6)
        let hottest = geometry.cellRect(row: 0, column: 4)
        #expect(buffer[x: hottest.x + 1, y: hottest.y].style == .heatBackground(1))
        let cursor = geometry.cellRect(row: 2, column: 3)
        #expect(buffer[x: cursor.x + 1, y: cursor.y].style == Style.selection.bolded())
    }

    @Test func selectedRowAndStatusBarStyles() throws {
        let state = try ExplorerSnapshotTests.busyState(width: 80, height: 24)
        var buffer = Buffer(width: 80, height: 24)
        ExplorerView.render(state, into: &buffer, glyphs: .unicode)
        Golden.check(buffer.renderStyles(), named: "explorer-edited-80x24-styles")
        let row = state.layout.tableBody.y
        #expect((0..<80).allSatisfy { buffer[x: $0, y: row].style.background == .selectionBG })
        #expect((0..<80).allSatisfy { buffer[x: $0, y: 22].style.background == .headerBG })
    }
}
