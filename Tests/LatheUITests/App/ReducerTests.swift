import Foundation
import LatheCore
import Testing
@testable import LatheUI

@Suite struct ReducerTests {
    typealias F = ExplorerFixture

    func settings(_ state: AppState, _ index: Int) -> LayerSettings {
        state.plan.settings(for: state.layers[index].name)
    }

    @Test func startsOnTheFirstLayerAndEvaluatesTheStartingPlan() {
        var state = F.state(started: false)
        let effects = Explorer.initialEffects(&state)
        #expect(state.selected == 0)
        #expect(effects == [.applyPlan(.identity(layers: F.weightLayers), revision: 0),
                            .analyzeLayer(name: "stem.conv.weight", settings: .identity)])
        #expect(!state.isDirty)
    }

    @Test func bitKeysWalkTheLadderAndEachEditIsEvaluated() {
        var state = F.state()
        var effects = F.run(&state, F.keys("h"))
        #expect(settings(state, 0).bits == .fp16)
        #expect(effects.first == .applyPlan(state.plan, revision: 1))
        F.run(&state, F.keys("h{Left}h"))
        #expect(settings(state, 0).bits == .integer(6))
        #expect(state.planRevision == 4)
        effects = F.run(&state, F.keys("l{Right}"))
        #expect(settings(state, 0).bits == .integer(8))
        #expect(effects.contains(.applyPlan(state.plan, revision: 6)))
        // Only the selected layer changed.
        #expect(settings(state, 1) == .identity)
        #expect(state.isDirty)
    }

    @Test func ladderEndsAreRefusedWithAMessage() {
        var state = F.state()
        let effects = F.run(&state, F.keys("l"))
        #expect(effects.isEmpty)
        #expect(state.message?.kind == .warning)
        #expect(state.message?.text.contains("float32") == true)
        F.run(&state, F.keys(String(repeating: "h", count: 9)))
        #expect(settings(state, 0).bits == .integer(1))
        let before = state.plan
        #expect(F.run(&state, F.keys("h")).isEmpty)
        #expect(state.plan == before)
        #expect(state.message?.text.contains("1 bit") == true)
    }

    @Test func undoAndRedoWalkTheWholeHistory() {
        var state = F.state()
        F.run(&state, F.keys("hhh"))  // fp16, 8, 7
        #expect(settings(state, 0).bits == .integer(7))
        F.run(&state, F.keys("uu"))
        #expect(settings(state, 0).bits == .fp16)
        F.run(&state, F.keys("{Ctrl-R}"))
        #expect(settings(state, 0).bits == .integer(8))
        F.run(&state, F.keys("uu"))
        #expect(state.plan == .identity(layers: F.weightLayers))
        #expect(!state.isDirty)
        F.run(&state, F.keys("u"))
        #expect(state.message?.text == "nothing to undo")
        // A new edit after undoing drops the redo branch.
        F.run(&state, F.keys("]"))
        F.run(&state, F.keys("{Ctrl-R}"))
        #expect(state.message?.text == "nothing to redo")
        #expect(settings(state, 0) == LayerSettings(prune: 0.05))
        // Every plan change got a new revision, undo and redo included.
        #expect(state.planRevision == 9)
    }

    @Test func marksMakeEditsApplyToEveryMarkedLayer() {
        var state = F.state()
        // Move to row 1, mark rows 1 and 2 (Space marks and moves down).
        F.run(&state, F.keys("j  "))
        #expect(state.marks == ["blocks.0.depthwise.weight", "blocks.0.pointwise.weight"])
        #expect(state.selected == 3)
        F.run(&state, F.keys("hh"))
        #expect(settings(state, 1).bits == .integer(8))
        #expect(settings(state, 2).bits == .integer(8))
        #expect(settings(state, 3) == .identity)
        #expect(settings(state, 0) == .identity)
        #expect(state.message?.text.contains("2 marked layers changed") == true)
        // Esc clears the marks; then edits go to the selection again.
        F.run(&state, F.keys("{Esc}"))
        #expect(state.marks.isEmpty)
        F.run(&state, F.keys("]"))
        #expect(settings(state, 3).prune == 0.05)
        #expect(settings(state, 2).prune == 0)
    }

    @Test func applyToAllCopiesTheSelectedSettings() {
        var state = F.state()
        F.run(&state, F.keys("hhh]]"))  // stem: int7, prune 10%
        let stem = settings(state, 0)
        #expect(stem == LayerSettings(bits: .integer(7), prune: 0.1))
        F.run(&state, F.keys("A"))
        for i in state.layers.indices { #expect(settings(state, i) == stem) }
        #expect(state.message?.text.contains("10 layers (all)") == true)
        // With marks, only the marked layers get them.
        state = F.state()
        F.run(&state, F.keys("h"))  // stem fp16
        F.run(&state, F.keys("jjj "))  // mark row 3
        F.run(&state, F.keys("gA"))  // back to the stem, copy its settings to the marked layer
        #expect(settings(state, 3).bits == .fp16)
        #expect(settings(state, 4) == .identity)
    }

    @Test func sharingAndIntegerBitsReplaceEachOther() {
        var state = F.state()
        F.run(&state, F.keys("hh"))  // int8
        F.run(&state, F.keys("c"))
        #expect(settings(state, 0).clusters == 256)
        #expect(settings(state, 0).bits == .float32)
        #expect(settings(state, 0).conflict == nil)
        #expect(state.message?.text.contains("weight sharing replaces 8-bit") == true)
        F.run(&state, F.keys("cc"))
        #expect(settings(state, 0).clusters == 16)
        // Fewer bits from 16 clusters (4 index bits) is 3-bit uniform quantization.
        F.run(&state, F.keys("h"))
        #expect(settings(state, 0).clusters == nil)
        #expect(settings(state, 0).bits == .integer(3))
        // c cycles back to off after 2.
        F.run(&state, F.keys("cccccc"))
        #expect(settings(state, 0).clusters == 2)
        F.run(&state, F.keys("c"))
        #expect(settings(state, 0).clusters == nil)
        #expect(settings(state, 0).bits == .float32)
    }

    @Test func pruningStepsStructuresAndRefusals() {
        var state = F.state()
        F.run(&state, F.keys("]]]["))
        #expect(settings(state, 0).prune == 0.1)
        F.run(&state, F.keys("p"))
        #expect(settings(state, 0).structure == .channel)
        F.run(&state, F.keys("p"))
        #expect(settings(state, 0).structure == .twoFour)
        #expect(settings(state, 0).prune == 0.5)
        let before = state.plan
        #expect(F.run(&state, F.keys("]")).isEmpty)
        #expect(state.plan == before)
        #expect(state.message?.text.contains("2:4") == true)
        F.run(&state, F.keys("p"))
        #expect(settings(state, 0).structure == .unstructured)
        F.run(&state, F.keys(String(repeating: "]", count: 12)))
        #expect(settings(state, 0).prune == 0.95)
        #expect(state.message?.text.contains("maximum") == true)
        F.run(&state, F.keys(String(repeating: "[", count: 19)))
        #expect(settings(state, 0).prune == 0)
        #expect(F.run(&state, F.keys("[")).isEmpty)
    }

    @Test func granularityAndModeNeedIntegerBits() {
        var state = F.state()
        #expect(F.run(&state, F.keys("r")).isEmpty)
        #expect(state.message?.text.contains("granularity applies to integer bits") == true)
        #expect(F.run(&state, F.keys("m")).isEmpty)
        F.run(&state, F.keys("hhrm"))
        #expect(settings(state, 0) == LayerSettings(bits: .integer(8), scheme: .asymmetric, granularity: .perTensor))
        F.run(&state, F.keys("r"))
        #expect(settings(state, 0).granularity == .perChannel)
    }

    @Test func movingScrollsTheTableToKeepTheSelectionVisible() {
        var state = F.state()
        let visible = state.layout.visibleRows
        #expect(visible < state.layers.count)  // 80×24 shows part of the table
        F.run(&state, F.keys("G"))
        #expect(state.selected == 9)
        #expect(state.tableScroll == 10 - visible)
        F.run(&state, F.keys("g"))
        #expect(state.selected == 0 && state.tableScroll == 0)
        F.run(&state, F.keys("{PgDn}"))
        #expect(state.selected == visible - 1)
        F.run(&state, F.keys("jjjjjjjjjjjj"))
        #expect(state.selected == 9)
        F.run(&state, F.keys("{Up}k"))
        #expect(state.selected == 7)
        // Every selection change asks for the new layer's histogram marks once.
        let effects = F.run(&state, F.keys("k"))
        #expect(effects == [.analyzeLayer(name: "blocks.2.pointwise.weight", settings: .identity)])
        // Marks already asked for are not asked for again while they are computed.
        #expect(F.run(&state, F.keys("jk")).isEmpty)
    }

    @Test func layerAnalysisIsRequestedAgainWhenSettingsChange() {
        var state = F.state()
        let effects = F.run(&state, F.keys("h"))
        #expect(effects.contains(.analyzeLayer(name: "stem.conv.weight", settings: LayerSettings(bits: .fp16))))
        let analysis = LayerAnalysis(settings: LayerSettings(bits: .fp16), distinctValues: 100)
        F.run(&state, [.layerAnalysis(name: "stem.conv.weight", analysis: analysis)])
        #expect(state.pendingAnalyses.isEmpty)
        #expect(state.analyses["stem.conv.weight"] == analysis)
        // Back and forth: the marks for fp16 are known, so nothing new is asked for after redo.
        F.run(&state, F.keys("u"))
        #expect(F.run(&state, F.keys("{Ctrl-R}")).filter { if case .analyzeLayer = $0 { return true }; return false }
            .isEmpty)
    }

    @Test func searchJumpsAsYouTypeAndRestoresOnEscape() {
        var state = F.state()
        F.run(&state, F.keys("/point"))
        #expect(state.selected == 2)
        #expect(state.prompt != nil)
        F.run(&state, F.keys("{Enter}"))
        #expect(state.prompt == nil && state.searchQuery == "point")
        F.run(&state, F.keys("n"))
        #expect(state.selected == 4)
        F.run(&state, F.keys("NN"))
        #expect(state.selected == 8)  // wraps around backwards
        F.run(&state, F.keys("/classif"))
        #expect(state.selected == 9)
        F.run(&state, F.keys("{Esc}"))
        #expect(state.selected == 8)
        F.run(&state, F.keys("/zzz"))
        #expect(state.prompt?.error == "no match")
    }

    @Test func sortOrdersKeepTheSelectedLayer() {
        var state = F.state()
        state.sensitivity = F.sensitivity()
        F.run(&state, F.keys("jj"))  // blocks.0.pointwise
        F.run(&state, F.keys("S"))
        #expect(state.sort == .sensitivity)
        #expect(state.rowOrder == Array(0..<10))  // the fixture's scores fall along the graph
        F.run(&state, F.keys("S"))
        #expect(state.sort == .size)
        #expect(state.rowOrder.first == 8)  // 96×64 is the largest
        F.run(&state, F.keys("S"))
        #expect(state.sort == .name)
        #expect(state.layers[state.rowOrder[0]].name == "blocks.0.depthwise.weight")
        #expect(state.selected == 2)
        #expect(state.layers[state.selected].name == "blocks.0.pointwise.weight")
        F.run(&state, F.keys("j"))
        #expect(state.layers[state.selected].name == "blocks.1.depthwise.weight")
    }

    @Test func quittingAsksOnlyWhenChangesAreNotExported() {
        var state = F.state()
        #expect(F.run(&state, F.keys("q")) == [.quit])
        #expect(state.shouldQuit)

        state = F.state()
        F.run(&state, F.keys("hq"))
        #expect(!state.shouldQuit)
        #expect(state.prompt?.kind == .confirmQuit)
        F.run(&state, F.keys("x"))  // not an answer
        #expect(state.prompt?.kind == .confirmQuit)
        F.run(&state, F.keys("n"))
        #expect(state.prompt == nil && !state.shouldQuit)
        #expect(F.run(&state, F.keys("qy")) == [.quit])
        #expect(state.shouldQuit)
    }

    @Test func tooSmallTerminalOnlyTakesQuit() {
        var state = F.state()
        F.run(&state, [.resize(TerminalSize(width: 30, height: 8))])
        #expect(state.layout.isTooSmall)
        #expect(F.run(&state, F.keys("hj]?")).isEmpty)
        #expect(state.plan == .identity(layers: F.weightLayers) && state.selected == 0 && state.overlay == nil)
        F.run(&state, [.resize(TerminalSize(width: 100, height: 30))])
        F.run(&state, F.keys("h"))
        #expect(settings(state, 0).bits == .fp16)
        F.run(&state, [.resize(TerminalSize(width: 30, height: 8))])
        F.run(&state, F.keys("q"))
        #expect(state.prompt?.kind == .confirmQuit)
        #expect(F.run(&state, F.keys("y")) == [.quit])
    }

    @Test func helpOverlayOpensScrollsAndCloses() {
        var state = F.state()
        F.run(&state, F.keys("?"))
        #expect(state.overlay == .help(scroll: 0))
        F.run(&state, F.keys("jj"))
        #expect(state.overlay == .help(scroll: 2))
        #expect(state.selected == 0)  // keys went to the overlay
        F.run(&state, F.keys("{Esc}"))
        #expect(state.overlay == nil)
        F.run(&state, F.keys("?q"))
        #expect(state.overlay == nil && !state.shouldQuit)  // q closes help first
    }

    @Test func staleEngineReportsDoNotDescribeTheNewPlan() {
        var state = F.state()
        F.run(&state, [.layerAnalysis(name: "stem.conv.weight", analysis: LayerAnalysis(settings: .identity))])
        F.run(&state, [.engine(F.engine(for: state, value: 0.9615, done: 2000, final: true))])
        #expect(state.currentEngine?.isFinal == true)
        #expect(!state.isBusy)
        F.run(&state, F.keys("h"))
        #expect(state.currentEngine == nil)  // revision 0 report, plan revision 1
        #expect(state.isBusy)
        F.run(&state, [.engine(F.engine(for: state, value: 0.95, done: 640, final: false))])
        #expect(state.currentEngine?.samplesDone == 640)
        // An older revision arriving late is ignored.
        var old = F.engine(for: state, value: 0.5, done: 2000, final: true)
        old.revision = 0
        F.run(&state, [.engine(old)])
        #expect(state.engine?.revision == 1)
    }

    @Test func sweepStartsOnceAndEscapeCancels() {
        var state = F.state()
        #expect(F.run(&state, F.keys("s")) == [.startSweep])
        let job = JobProgress(id: 1, kind: .sweep, phase: "stem.conv.weight bits 4", done: 3, total: 60, state: .running)
        F.run(&state, [.engine(F.engine(for: state, value: 0.96, done: 2000, final: true, job: job))])
        #expect(F.run(&state, F.keys("s")).isEmpty)
        #expect(state.message?.text.contains("sweep is running") == true)
        #expect(F.run(&state, F.keys("{Esc}")) == [.cancelJob])
        var done = job
        done.state = .cancelled
        F.run(&state, [.engine(F.engine(for: state, value: 0.96, done: 2000, final: true, job: done))])
        #expect(state.message?.text == "sweep cancelled")
        #expect(state.runningJob == nil)
    }

    /// Engine reports are coalesced: a sweep of a tiny model can finish before any report shows it
    /// running. Its first report, already finished, must still say so, once.
    @Test func aSweepFirstSeenFinishedSaysItFinished() {
        var state = F.state()
        #expect(F.run(&state, F.keys("s")) == [.startSweep])
        let done = JobProgress(id: 1, kind: .sweep, phase: "", done: 6, total: 6, state: .finished)
        F.run(&state, [.engine(F.engine(for: state, value: 0.96, done: 2000, final: true, job: done))])
        #expect(state.message?.text.hasPrefix("sensitivity sweep finished") == true)
        state.message = nil
        F.run(&state, [.engine(F.engine(for: state, value: 0.96, done: 2000, final: true, job: done))])
        #expect(state.message == nil)
        // The next sweep, also seen only finished, is a new end.
        #expect(F.run(&state, F.keys("s")) == [.startSweep])
        var second = done
        second.id = 2
        F.run(&state, [.engine(F.engine(for: state, value: 0.96, done: 2000, final: true, job: second))])
        #expect(state.message?.text.hasPrefix("sensitivity sweep finished") == true)
    }

    @Test func searchBudgetPromptStartsTheSearchAndItsAnswerIsUndoable() {
        var state = F.state()
        F.run(&state, F.keys("a"))
        #expect(state.prompt?.editor.text == "1%")
        F.run(&state, F.keys("{Ctrl-U}3x"))
        #expect(F.run(&state, F.keys("{Enter}")) == [.startSearch(.targetRatio(3))])
        var found = state.plan
        for layer in state.layers { found.set(LayerSettings(bits: .integer(4)), for: layer.name) }
        let effects = F.run(&state, [.searchFinished(plan: found, summary: "4.0× at top-1 95.0%", front: nil)])
        #expect(state.plan == found)
        #expect(effects.first == .applyPlan(found, revision: 1))
        #expect(state.message?.text.contains("u undoes") == true)
        F.run(&state, F.keys("u"))
        #expect(state.plan == .identity(layers: F.weightLayers))
        // A bad budget keeps the prompt open with the reason.
        F.run(&state, F.keys("a{Ctrl-U}lots{Enter}"))
        #expect(state.prompt?.kind == .searchBudget)
        #expect(state.prompt?.error?.contains("not a budget") == true)
    }

    @Test func paretoViewWalksTheFrontAndAppliesAPoint() {
        var state = F.state()
        F.run(&state, F.keys("F"))
        #expect(state.overlay == nil)
        #expect(state.message?.text.contains("no Pareto front") == true)
        F.run(&state, F.keys("a{Enter}"))
        var int4 = state.plan, int8 = state.plan
        for layer in state.layers {
            int4.set(LayerSettings(bits: .integer(4)), for: layer.name)
            int8.set(LayerSettings(bits: .integer(8)), for: layer.name)
        }
        let front = ParetoData(metric: .top1,
                                points: [.init(sizeBytes: 100, value: 0.9, label: "knapsack ≤ 100 B", plan: int4),
                                         .init(sizeBytes: 200, value: 0.95, label: "uniform int8", plan: int8)],
                                references: [.init(sizeBytes: 200, value: 0.95, label: "uniform int8", plan: int8)],
                                baselineBytes: 800, chosen: 0)
        F.run(&state, [.searchFinished(plan: int4, summary: "8.0× at top-1 90.0%", front: front)])
        #expect(state.plan == int4)
        #expect(state.message?.text.contains("F: its front of 2 points") == true)
        F.run(&state, F.keys("F"))
        #expect(state.overlay == .pareto(point: 0))
        F.run(&state, F.keys("{Left}"))
        #expect(state.overlay == .pareto(point: 0))
        F.run(&state, F.keys("{Right}{Right}"))
        #expect(state.overlay == .pareto(point: 1))
        let effects = F.run(&state, F.keys("{Enter}"))
        #expect(state.plan == int8)
        #expect(effects.first == .applyPlan(int8, revision: state.planRevision))
        #expect(state.message?.text.contains("applied front point 2 of 2") == true)
        // Undo works from inside the view; Esc closes it.
        F.run(&state, F.keys("u"))
        #expect(state.plan == int4)
        F.run(&state, F.keys("{Esc}"))
        #expect(state.overlay == nil)
        // Drawn: the chart, the point's explanation and the keys, at 80×24.
        F.run(&state, F.keys("F"))
        let screen = ExplorerView.renderText(state, width: 80, height: 24)
        #expect(screen.contains("Pareto front: top-1 vs size, 2 measured points"))
        #expect(screen.contains("point 1/2: 100 B"))
        #expect(screen.contains("search's answer"))
        #expect(screen.contains("int8"))
    }

    @Test func heatmapPicksALevelAndAppliesIt() {
        var state = F.state()
        F.run(&state, F.keys("H"))
        #expect(state.overlay == nil)
        #expect(state.message?.text.contains("press s") == true)
        F.run(&state, [.sensitivity(F.sensitivity())])
        F.run(&state, F.keys("jH"))
        #expect(state.overlay == .heatmap(column: 0))
        F.run(&state, F.keys("lll"))  // → moves the column: b8 b6 b4 b3
        #expect(state.overlay == .heatmap(column: 3))
        #expect(settings(state, 1) == .identity)
        F.run(&state, F.keys("{Enter}"))
        #expect(settings(state, 1) == LayerSettings(bits: .integer(3)))
        F.run(&state, F.keys("j{Left}{Enter}"))
        #expect(settings(state, 2) == LayerSettings(bits: .integer(4)))
        F.run(&state, F.keys("{Esc}"))
        #expect(state.overlay == nil)
    }

    @Test func mouseClicksSelectRowsAndTheWheelScrolls() {
        var state = F.state()
        let body = state.layout.tableBody
        F.run(&state, [.mouse(MouseEvent(.press(.left), at: Point(x: 5, y: body.y + 3)))])
        #expect(state.selected == 3)
        F.run(&state, [.mouse(MouseEvent(.wheelDown, at: Point(x: 5, y: body.y)))])
        #expect(state.tableScroll == min(3, 10 - state.layout.visibleRows))
        #expect(state.selected == 3)
        F.run(&state, [.mouse(MouseEvent(.press(.left), at: Point(x: 5, y: state.layout.detail.y + 2)))])
        #expect(state.focus == .detail)
        // A click on a row below the last layer selects nothing.
        state = F.state(width: 160, height: 50)
        F.run(&state, [.mouse(MouseEvent(.press(.left), at: Point(x: 5, y: state.layout.tableBody.y + 20)))])
        #expect(state.selected == 0)
    }

    @Test func themesCycle() {
        var state = F.state()
        F.run(&state, F.keys("t"))
        #expect(state.themeName == "light")
        F.run(&state, F.keys("ttt"))
        #expect(state.themeName == "default")
    }
}
