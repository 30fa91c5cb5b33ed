import LatheCore
import Testing
@testable import LatheUI

/// Several evaluation sets in the explorer: the status bar shows every set's metric with
/// the worst marked, the heatmap shows the worst over the sets and `v` switches to each set.
@Suite struct EvaluationSetsUITests {
    typealias F = ExplorerFixture

    static func state(shiftedValue: Double?, final: Bool) -> AppState {
        var state = F.state()
        var engine = F.engine(for: state, value: 0.965, done: final ? 4000 : 2500, final: final, baseline: 0.97)
        engine.sets = [EngineStatus.SetStatus(name: "clean", value: 0.965, isFinal: true, baselineValue: 0.97),
                       EngineStatus.SetStatus(name: "shifted", value: shiftedValue, isFinal: final,
                                              baselineValue: final ? 0.90 : nil)]
        engine.worstSet = shiftedValue == nil ? 0 : 1
        engine.samplesTotal = 4000
        state.engine = engine
        state.pendingAnalyses = [:]
        return state
    }

    @Test func theStatusBarShowsEverySetAndMarksTheWorst() {
        let texts = StatusBarView.segments(Self.state(shiftedValue: 0.825, final: true), glyphs: .unicode)
            .map(\.line.text)
        #expect(texts == [" ", "top-1 clean 96.5% shifted 82.5%▼", "size 55.2 KB (1.0×)"])
        let ascii = StatusBarView.segments(Self.state(shiftedValue: 0.825, final: true), glyphs: .ascii)
            .map(\.line.text)
        #expect(ascii.contains("top-1 clean 96.5% shifted 82.5%*"))
    }

    @Test func aSetNotMeasuredYetShowsAnEllipsisWhileStreaming() {
        let texts = StatusBarView.segments(Self.state(shiftedValue: nil, final: false), glyphs: .unicode)
            .map(\.line.text)
        #expect(texts.contains("top-1 clean 96.5%▼ shifted …"))
        #expect(texts.contains("eval 2500/4000"))
    }

    @Test func oneSetLooksAsBefore() {
        var state = F.state()
        state.engine = F.engine(for: state, value: 0.9, done: 2000, final: true, baseline: 0.95)
        state.pendingAnalyses = [:]
        #expect(StatusBarView.segments(state, glyphs: .unicode).map(\.line.text)
                == [" ", "top-1 90.0%", "Δ-5.0 vs fp32", "size 55.2 KB (1.0×)"])
    }

    /// Two sets' sweeps of one layer: the shifted set loses more at 2 bits, the clean one at 4.
    static func sweeps() -> SensitivitySets {
        func report(_ data: String, baseline: Double, bits2: Double, bits4: Double) -> SensitivityReport {
            let levels = SensitivityLevels(bits: [2, 4])
            var layer = SensitivityReport.Layer(name: F.shapes[0].0)
            layer.bits = [2: bits2, 4: bits4]
            var report = SensitivityReport(baseline: .init(
                metric: .top1, value: baseline, samples: 100, model: "m", modelHash: "h", data: data, dataHash: data,
                method: "x", levels: levels, layerOrder: [F.shapes[0].0]), layers: [layer])
            report.updateScores()
            return report
        }
        return SensitivitySets(names: ["clean", "shifted"],
                               reports: [report("clean", baseline: 0.97, bits2: 0.80, bits4: 0.90),
                                         report("shifted", baseline: 0.90, bits2: 0.50, bits4: 0.89)])
    }

    @Test func theHeatmapDefaultsToTheWorstAndVSwitchesSets() throws {
        let data = SensitivityData(Self.sweeps(), layers: [F.shapes[0].0])
        let name = F.shapes[0].0
        // Worst over the sets: 0.40 at 2 bits (shifted), 0.07 at 4 bits (clean).
        let worst = try #require(data.layers[name])
        #expect(abs((worst.cells[.bits(2)]?.loss ?? 0) - 0.40) < 1e-12)
        #expect(abs((worst.cells[.bits(4)]?.loss ?? 0) - 0.07) < 1e-12)
        #expect(data.bySet.count == 2)
        #expect(abs((data.bySet[1].layers[name]?.cells[.bits(4)]?.loss ?? 0) - 0.01) < 1e-12)

        var state = F.state(width: 100, height: 30)
        F.run(&state, [.sensitivity(data)] + F.keys("H"))
        #expect(state.heatmapSet == nil)
        #expect(ExplorerView.renderText(state, width: 100, height: 30).contains("worst of clean, shifted"))
        F.run(&state, F.keys("v"))
        #expect(state.heatmapSet == 0)
        let clean = ExplorerView.renderText(state, width: 100, height: 30)
        #expect(clean.contains("set clean"))
        #expect(clean.contains("-17.0") && !clean.contains("-40.0"))
        F.run(&state, F.keys("v"))
        #expect(state.heatmapSet == 1)
        let shown = ExplorerView.renderText(state, width: 100, height: 30)
        #expect(shown.contains("set shifted"))
        #expect(shown.contains("-40.0"))
        F.run(&state, F.keys("v"))
        #expect(state.heatmapSet == nil)
    }

    @Test func oneSetHasNothingToSwitch() {
        var state = F.state()
        F.run(&state, [.sensitivity(F.sensitivity())] + F.keys("Hv"))
        #expect(state.heatmapSet == nil)
        #expect(state.message?.text.contains("one evaluation set") == true)
    }
}
